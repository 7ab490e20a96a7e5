// Package stripemock runs stripe-mock (github.com/stripe/stripe-mock, pinned
// below), Stripe's own mock server, on loopback for tests: it validates each
// request against Stripe's published OpenAPI spec and answers with fixtures,
// keeping no state. Tests start one with MustStart and point a Stripe client
// at URL.
package stripemock

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Module and Version pin the engine; `make deps` installs it into ./bin.
const (
	Module  = "github.com/stripe/stripe-mock"
	Version = "v0.203.0"
)

// Server is a running stripe-mock.
type Server struct {
	cmd  *exec.Cmd
	url  string
	out  *bytes.Buffer
	done chan error
}

// URL is the plain-HTTP base URL, e.g. http://127.0.0.1:41234 (Stripe paths
// such as /v1/payment_intents go after it).
func (s *Server) URL() string { return s.url }

// Start finds (or installs) the pinned binary, starts it with both its HTTP
// and HTTPS listeners on free loopback ports, and waits until it answers.
func Start(ctx context.Context) (*Server, error) {
	bin, err := Binary(ctx)
	if err != nil {
		return nil, err
	}
	httpAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	httpsAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	s := &Server{url: "http://" + httpAddr, out: &bytes.Buffer{}, done: make(chan error, 1)}
	s.cmd = exec.Command(bin, "-http-addr", httpAddr, "-https-addr", httpsAddr)
	s.cmd.Stdout, s.cmd.Stderr = &lockedWriter{w: s.out}, &lockedWriter{w: s.out}
	s.cmd.SysProcAttr = procAttr()
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start stripe-mock: %w", err)
	}
	go func() { s.done <- s.cmd.Wait() }()
	if err := s.waitReady(ctx); err != nil {
		_ = s.Stop()
		return nil, err
	}
	return s, nil
}

// Stop ends the process.
func (s *Server) Stop() error {
	if s.cmd == nil || s.cmd.Process == nil {
		return nil
	}
	_ = s.cmd.Process.Kill()
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		return errors.New("stripe-mock did not exit")
	}
	s.cmd = nil
	return nil
}

func (s *Server) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(30 * time.Second)
	client := &http.Client{Timeout: time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"/v1/balance", nil)
		req.Header.Set("Authorization", "Bearer sk_test_123")
		res, err := client.Do(req)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-s.done:
			return fmt.Errorf("stripe-mock exited: %v: %s", err, s.out.String())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("stripe-mock not ready at %s after 30s", s.url)
		}
	}
}

var installMu sync.Mutex

// Binary returns the path of the pinned stripe-mock: ./bin/stripe-mock of
// the repository (where `make deps` puts it), else $(go env GOPATH)/bin if
// that one is the pinned version, else it is installed into ./bin with
// `go install` from the module proxy — a fresh clone needs nothing but Go.
func Binary(ctx context.Context) (string, error) {
	installMu.Lock()
	defer installMu.Unlock()
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	local := filepath.Join(root, "bin", "stripe-mock")
	if pinned(ctx, local) {
		return local, nil
	}
	if gopath, err := exec.CommandContext(ctx, "go", "env", "GOPATH").Output(); err == nil {
		for _, dir := range filepath.SplitList(strings.TrimSpace(string(gopath))) {
			if p := filepath.Join(dir, "bin", "stripe-mock"); pinned(ctx, p) {
				return p, nil
			}
		}
	}
	cmd := exec.CommandContext(ctx, "go", "install", Module+"@"+Version)
	cmd.Env = append(os.Environ(), "GOBIN="+filepath.Join(root, "bin"))
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("install stripe-mock %s: %v: %s", Version, err, out)
	}
	return local, nil
}

// pinned reports whether path is a stripe-mock binary built from Version.
func pinned(ctx context.Context, path string) bool {
	if _, err := os.Stat(path); err != nil {
		return false
	}
	out, err := exec.CommandContext(ctx, "go", "version", "-m", path).Output()
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && f[0] == "mod" && f[1] == Module {
			return f[2] == Version
		}
	}
	return false
}

// repoRoot is RENKEI_ROOT or the nearest parent holding this module's go.mod.
func repoRoot() (string, error) {
	if r := os.Getenv("RENKEI_ROOT"); r != "" {
		return filepath.Abs(r)
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if data, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && bytes.Contains(data, []byte("module github.com/renkei-pos/renkei\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("stripe-mock: no renkei go.mod above the working directory; set RENKEI_ROOT")
		}
		dir = parent
	}
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
