package dynamolocal

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func TestServer_Lifecycle(t *testing.T) {
	ctx := t.Context()
	begin := time.Now()
	s, err := Start(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	pid := s.cmd.Process.Pid
	t.Logf("start-to-ready %v, JVM %s", time.Since(begin).Round(time.Millisecond), vmRSS(pid))

	db, err := NewClient(ctx, s.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	createTable(t, db, "lifecycle")
	putGet(t, db, "lifecycle")

	t.Run("listens on loopback only", func(t *testing.T) {
		addrs := listenAddrs(t, s.port)
		if len(addrs) == 0 {
			t.Fatalf("no listening socket on port %d in /proc/net/tcp{,6}", s.port)
		}
		for _, ip := range addrs {
			if !ip.IsLoopback() {
				t.Errorf("port %d listens on %v, want 127.0.0.1 only", s.port, ip)
			}
		}
	})

	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if conn, err := net.DialTimeout("tcp", s.Endpoint()[len("http://"):], time.Second); err == nil {
		conn.Close()
		t.Errorf("port %d still accepts connections after Stop", s.port)
	}
	if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err == nil {
		t.Errorf("JVM pid %d still exists after Stop", pid)
	}
}

func TestServer_StdinClosedStopsJVM(t *testing.T) {
	s := MustStartNoCleanup(t)
	s.stdin.Close() // what the OS does when this process dies
	select {
	case <-s.exited:
	case <-time.After(stopTimeout):
		s.cmd.Process.Kill()
		t.Fatal("JVM still running 5s after its stdin closed")
	}
	if s.waitErr != nil {
		t.Errorf("JVM exit: %v, want a clean halt from the stdin watchdog", s.waitErr)
	}
}

// TestServer_ParentKilled runs Start in a child copy of this test binary,
// SIGKILLs the child, and checks that the orphaned JVM goes away by itself.
func TestServer_ParentKilled(t *testing.T) {
	if os.Getenv("DYNAMOLOCAL_TEST_CHILD") == "1" {
		s, err := Start(context.Background(), Options{})
		if err != nil {
			fmt.Println("CHILD ERROR", err)
			os.Exit(1)
		}
		fmt.Printf("JVMPID %d\n", s.cmd.Process.Pid)
		// Wait to be killed, but never outlive a parent that died first.
		io.Copy(io.Discard, os.Stdin)
		os.Exit(1)
	}
	child := exec.Command(os.Args[0], "-test.run=^TestServer_ParentKilled$")
	child.Env = append(os.Environ(), "DYNAMOLOCAL_TEST_CHILD=1")
	if _, err := child.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer child.Process.Kill()
	jvm := 0
	for sc := bufio.NewScanner(out); jvm == 0 && sc.Scan(); {
		if pid, ok := strings.CutPrefix(sc.Text(), "JVMPID "); ok {
			jvm, _ = strconv.Atoi(pid)
		} else {
			t.Log("child:", sc.Text())
		}
	}
	if jvm == 0 {
		t.Fatal("child did not report a JVM pid")
	}
	child.Process.Kill()
	child.Wait()
	for deadline := time.Now().Add(stopTimeout); processAlive(jvm); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			syscall.Kill(jvm, syscall.SIGKILL)
			t.Fatalf("JVM pid %d outlived its SIGKILLed parent by %v", jvm, stopTimeout)
		}
	}
}

func TestStart_DBPath(t *testing.T) {
	ctx := t.Context()
	dir := filepath.Join(t.TempDir(), "db")
	first, err := Start(ctx, Options{DBPath: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { first.Stop() })
	db, err := NewClient(ctx, first.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	createTable(t, db, "persisted")
	putItem(t, db, "persisted")

	t.Run("refuses a dbPath whose owner is alive", func(t *testing.T) {
		_, err := Start(ctx, Options{DBPath: dir})
		if err == nil || !strings.Contains(err.Error(), "in use") {
			t.Fatalf("second Start on a live dbPath: err = %v, want an in-use error", err)
		}
	})

	t.Run("takes over from a crashed owner", func(t *testing.T) {
		// A crash releases the owner's lock; the JVM may linger if it was wedged.
		first.releaseDB()
		first.releaseDB = nil
		second, err := Start(ctx, Options{DBPath: dir})
		if err != nil {
			t.Fatal(err)
		}
		defer second.Stop()
		select {
		case <-first.exited:
		case <-time.After(time.Second):
			t.Fatal("stale JVM still running after the second Start")
		}
		db, err := NewClient(ctx, second.Endpoint())
		if err != nil {
			t.Fatal(err)
		}
		getItem(t, db, "persisted") // written by the first JVM, read from disk
	})
}

func TestStart_PortTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	s, err := Start(t.Context(), Options{Port: ln.Addr().(*net.TCPAddr).Port})
	if err == nil {
		s.Stop()
		t.Fatal("Start on a taken port succeeded")
	}
	// The error must carry the JVM's own explanation, not just a timeout.
	if msg := err.Error(); !strings.Contains(msg, "exited before it was ready") || !strings.Contains(msg, "Address already in use") {
		t.Errorf("Start on a taken port: %v", err)
	}
}

// MustStartNoCleanup is MustStart for tests that end the JVM themselves.
func MustStartNoCleanup(t *testing.T) *Server {
	t.Helper()
	s, err := Start(t.Context(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func createTable(t *testing.T, db *dynamodb.Client, name string) {
	t.Helper()
	_, err := db.CreateTable(t.Context(), &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
	})
	if err != nil {
		t.Fatalf("create table %s: %v", name, err)
	}
}

func putGet(t *testing.T, db *dynamodb.Client, table string) {
	t.Helper()
	putItem(t, db, table)
	getItem(t, db, table)
}

func putItem(t *testing.T, db *dynamodb.Client, table string) {
	t.Helper()
	_, err := db.PutItem(t.Context(), &dynamodb.PutItemInput{
		TableName: aws.String(table),
		Item: map[string]types.AttributeValue{
			"pk":   &types.AttributeValueMemberS{Value: "tenant#1"},
			"name": &types.AttributeValueMemberS{Value: "Renkei Cafe"},
		},
	})
	if err != nil {
		t.Fatalf("put item: %v", err)
	}
}

func getItem(t *testing.T, db *dynamodb.Client, table string) {
	t.Helper()
	out, err := db.GetItem(t.Context(), &dynamodb.GetItemInput{
		TableName:      aws.String(table),
		Key:            map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "tenant#1"}},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		t.Fatalf("get item: %v", err)
	}
	name, ok := out.Item["name"].(*types.AttributeValueMemberS)
	if !ok || name.Value != "Renkei Cafe" {
		t.Fatalf("get item: got %v, want name Renkei Cafe", out.Item)
	}
}

// listenAddrs returns the local addresses of LISTEN sockets on port, read
// from /proc/net/tcp and tcp6 (this network namespace).
func listenAddrs(t *testing.T, port int) []net.IP {
	t.Helper()
	var ips []net.IP
	for _, file := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatalf("read %s: %v", file, err)
		}
		for _, line := range strings.Split(string(data), "\n")[1:] {
			f := strings.Fields(line)
			if len(f) < 4 || f[3] != "0A" { // 0A = TCP_LISTEN
				continue
			}
			addr, portHex, _ := strings.Cut(f[1], ":")
			if p, _ := strconv.ParseUint(portHex, 16, 16); int(p) != port {
				continue
			}
			ips = append(ips, procIP(t, addr))
		}
	}
	return ips
}

// procIP decodes /proc/net's hex address: 32-bit words in host (little-endian) order.
func procIP(t *testing.T, h string) net.IP {
	b, err := hex.DecodeString(h)
	if err != nil || len(b)%4 != 0 {
		t.Fatalf("bad /proc/net address %q", h)
	}
	for i := 0; i < len(b); i += 4 {
		b[i], b[i+1], b[i+2], b[i+3] = b[i+3], b[i+2], b[i+1], b[i]
	}
	return net.IP(b)
}

func vmRSS(pid int) string {
	data, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			return strings.Join(strings.Fields(line), " ")
		}
	}
	return "VmRSS unknown"
}

// processAlive reports whether pid exists and is not a zombie.
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return (err == nil || errors.Is(err, syscall.EPERM)) && procState(pid) != 'Z'
}
