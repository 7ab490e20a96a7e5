package dynamolocal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

const (
	readyTimeout = 30 * time.Second
	stopTimeout  = 5 * time.Second
	readyLine    = "LoopbackLauncher: listening on 127.0.0.1"
)

// Options configures Start. The zero value runs an in-memory engine on a
// free port, with the repository found from the working directory.
type Options struct {
	// Root is the repository root. "" means $RENKEI_ROOT, else the nearest
	// parent of the working directory whose go.mod is this module's.
	Root string
	// DBPath keeps tables on disk in this directory (created if missing).
	// "" keeps them in memory, gone when the server stops.
	DBPath string
	// Port to listen on, on 127.0.0.1. 0 picks a free one.
	Port int
	// Log receives the JVM's and npm's output. nil discards it; Start's
	// errors still quote the last lines.
	Log io.Writer
}

// Server is a running DynamoDB Local JVM.
type Server struct {
	cmd       *exec.Cmd
	stdin     io.Closer // closing it makes the launcher halt
	port      int
	dbPath    string
	releaseDB func() // unlocks dbPath; nil when in memory
	out       *tail

	exited  chan struct{} // closed once cmd.Wait returns
	waitErr error         // valid after exited is closed

	stopOnce sync.Once
	stopErr  error
}

// errPortInUse marks a start that lost a race for an auto-picked port.
var errPortInUse = errors.New("port in use")

// Start installs and compiles what is missing, launches DynamoDB Local and
// returns once it answers ListTables. ctx bounds the start only; the server
// runs until Stop, or until this process exits (the JVM watches its stdin).
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	root, err := findRoot(opts.Root)
	if err != nil {
		return nil, err
	}
	eng, err := prepare(ctx, root, opts.Log)
	if err != nil {
		return nil, err
	}
	if opts.DBPath != "" {
		if opts.DBPath, err = filepath.Abs(opts.DBPath); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(opts.DBPath, 0o755); err != nil {
			return nil, fmt.Errorf("dynamodb local dbPath: %w", err)
		}
	}
	// A port picked free can be taken before the JVM binds it; try again.
	for attempt := 1; ; attempt++ {
		port := opts.Port
		if port == 0 {
			if port, err = freePort(); err != nil {
				return nil, err
			}
		}
		s, err := launch(ctx, eng, port, opts)
		if err == nil || opts.Port != 0 || attempt == 3 || !errors.Is(err, errPortInUse) {
			return s, err
		}
	}
}

func launch(ctx context.Context, eng engine, port int, opts Options) (*Server, error) {
	cmd := exec.Command(javaTool("java"), javaArgs(eng, port, opts.DBPath)...)
	cmd.Dir = eng.classDir
	// Own process group: a terminal's Ctrl-C reaches only the Go process,
	// which can then shut down in order while the database is still up.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	s := &Server{cmd: cmd, stdin: stdin, port: port, dbPath: opts.DBPath, out: newTail(opts.Log), exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = s.out, s.out
	if s.dbPath != "" {
		if s.releaseDB, err = claimDBPath(s.dbPath); err != nil {
			return nil, err
		}
	}
	if err := cmd.Start(); err != nil {
		if s.releaseDB != nil {
			s.releaseDB()
		}
		return nil, fmt.Errorf("start DynamoDB Local (needs Java 17+): %w", err)
	}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	if s.dbPath != "" {
		if err := writePidFile(s.dbPath, cmd.Process.Pid); err != nil {
			s.Stop()
			return nil, fmt.Errorf("dynamodb local pid file: %w", err)
		}
	}
	if err := s.waitReady(ctx); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// javaArgs keeps the heap small and startup quick: tests start many JVMs.
func javaArgs(eng engine, port int, dbPath string) []string {
	args := []string{
		"-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
		// Without this Java opens a dual-stack socket (::ffff:127.0.0.1);
		// still loopback, but a plain IPv4 socket is easier to audit.
		"-Djava.net.preferIPv4Stack=true",
		"-Djava.library.path=" + filepath.Join(eng.jarDir, "DynamoDBLocal_lib"),
		"-cp", eng.classDir + string(os.PathListSeparator) + eng.classpath(),
		"LoopbackLauncher", "-port", strconv.Itoa(port), "-disableTelemetry",
	}
	if dbPath == "" {
		args = append(args, "-inMemory")
	} else {
		args = append(args, "-dbPath", dbPath)
	}
	// -sharedDb: one set of tables whatever credentials or region a client
	// signs with, so the AWS CLI with a developer's profile sees them too.
	args = append(args, "-sharedDb")
	return args
}

// waitReady waits for the launcher's line (so the port is ours, not some
// other server's) and then for ListTables to answer.
func (s *Server) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	probe, err := NewClient(ctx, s.Endpoint(), func(o *dynamodb.Options) {
		o.Retryer = aws.NopRetryer{}
		o.HTTPClient = localHTTPClient(2 * time.Second)
	})
	if err != nil {
		return err
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	lastErr := errors.New("no ready line yet")
	for {
		select {
		case <-s.exited:
			err := fmt.Errorf("DynamoDB Local exited before it was ready (%v); last output:\n%s", s.waitErr, s.out.lastLines(20))
			if s.out.contains("Address already in use") || s.out.contains("BindException") {
				err = fmt.Errorf("%w: %w", errPortInUse, err)
			}
			return err
		case <-ctx.Done():
			return fmt.Errorf("DynamoDB Local on %s not ready: %w (last probe: %v); last output:\n%s",
				s.Endpoint(), context.Cause(ctx), lastErr, s.out.lastLines(20))
		case <-tick.C:
		}
		if !s.out.sawReady() {
			continue
		}
		if _, lastErr = probe.ListTables(ctx, &dynamodb.ListTablesInput{Limit: aws.Int32(1)}); lastErr == nil {
			return nil
		}
	}
}

// Endpoint is the base URL for SDK clients, e.g. http://127.0.0.1:8000.
func (s *Server) Endpoint() string {
	return "http://127.0.0.1:" + strconv.Itoa(s.port)
}

// PID is the JVM's process id: benchmarks read the engine's CPU time from
// /proc/<pid>/stat.
func (s *Server) PID() int {
	return s.cmd.Process.Pid
}

// Stop closes the launcher's stdin, which makes it halt, and kills it if it
// has not gone within a few seconds. It is safe to call more than once.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() { s.stopErr = s.stop() })
	return s.stopErr
}

func (s *Server) stop() error {
	if s.releaseDB != nil {
		// Runs after the JVM is gone: the lock guards the files it had open.
		defer s.releaseDB()
		defer os.Remove(filepath.Join(s.dbPath, pidFileName))
	}
	select {
	case <-s.exited:
		return fmt.Errorf("DynamoDB Local had already exited (%v); last output:\n%s", s.waitErr, s.out.lastLines(20))
	default:
	}
	s.stdin.Close()
	select {
	case <-s.exited:
		return nil
	case <-time.After(stopTimeout):
	}
	s.cmd.Process.Kill()
	<-s.exited
	return fmt.Errorf("DynamoDB Local ignored its closed stdin for %s and was killed", stopTimeout)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pick a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tail forwards output and keeps its end for errors, noting the ready line
// as it passes (later chatter could push it out of the buffer).
type tail struct {
	mu    sync.Mutex
	buf   []byte
	out   io.Writer
	ready bool
}

const tailSize = 16 << 10

func newTail(out io.Writer) *tail { return &tail{out: out} }

func (t *tail) Write(p []byte) (int, error) {
	t.out.Write(p) // a failing log sink must not stall the JVM
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	t.ready = t.ready || bytes.Contains(t.buf, []byte(readyLine))
	if over := len(t.buf) - tailSize; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tail) sawReady() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.ready
}

func (t *tail) contains(s string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return bytes.Contains(t.buf, []byte(s))
}

func (t *tail) lastLines(n int) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return lastLines(t.buf, n)
}
