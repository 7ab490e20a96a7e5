package dynamolocal

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// A pid file under the dbPath records which JVM serves that directory and
// which process started it. The JVM exits when its parent's stdin pipe
// closes, but if it wedges before that watchdog starts (say, on the SQLite
// lock) a crashed run would leave it holding the database.
const pidFileName = "renkei-dynamodb-local.pid"

func writePidFile(dbPath string, jvm int) error {
	path := filepath.Join(dbPath, pidFileName)
	tmp := path + ".tmp"
	data := fmt.Sprintf("%d %d\n", jvm, os.Getpid())
	if err := os.WriteFile(tmp, []byte(data), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func removePidFile(dbPath string, jvm int) {
	path := filepath.Join(dbPath, pidFileName)
	if recorded, _, ok := readPidFile(path); ok && recorded == jvm {
		os.Remove(path)
	}
}

func readPidFile(path string) (jvm, owner int, ok bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, false
	}
	_, err = fmt.Sscan(string(data), &jvm, &owner)
	return jvm, owner, err == nil
}

// reapStale kills a launcher left serving dbPath by a process that is gone.
// If its starter is still alive the directory is genuinely in use (another
// `make run`, say), and taking it over would break that process instead.
func reapStale(dbPath string) error {
	jvm, owner, ok := readPidFile(filepath.Join(dbPath, pidFileName))
	if !ok || !isLauncherFor(jvm, dbPath) {
		return nil
	}
	if processAlive(owner) {
		return fmt.Errorf("dbPath %s is in use by DynamoDB Local (pid %d) started by pid %d, which is still running", dbPath, jvm, owner)
	}
	if err := syscall.Kill(jvm, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("kill stale DynamoDB Local pid %d on %s: %w", jvm, dbPath, err)
	}
	for deadline := time.Now().Add(5 * time.Second); isLauncherFor(jvm, dbPath); {
		if time.Now().After(deadline) {
			return fmt.Errorf("stale DynamoDB Local pid %d on %s survived SIGKILL", jvm, dbPath)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil
}

// isLauncherFor reports whether pid is a live LoopbackLauncher serving
// dbPath. It relies on /proc; elsewhere it says no, so nothing is killed on
// a guess (a pid recorded long ago may belong to anything by now).
func isLauncherFor(pid int, dbPath string) bool {
	if procState(pid) == 'Z' {
		return false
	}
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return false
	}
	args := bytes.Split(cmdline, []byte{0})
	launcher := false
	for i, a := range args {
		launcher = launcher || string(a) == "LoopbackLauncher"
		if launcher && string(a) == "-dbPath" && i+1 < len(args) && string(args[i+1]) == dbPath {
			return true
		}
	}
	return false
}

func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return (err == nil || errors.Is(err, syscall.EPERM)) && procState(pid) != 'Z'
}

// procState returns the state letter from /proc/<pid>/stat, or 0 if unknown.
// A killed process that its parent has not reaped yet is a zombie ('Z'): it
// holds no files or sockets any more, so it counts as gone.
func procState(pid int) byte {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// The command name in parentheses may contain spaces; the state follows ") ".
	if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) {
		return stat[i+2]
	}
	return 0
}
