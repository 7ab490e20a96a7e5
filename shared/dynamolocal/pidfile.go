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

// A Server with a dbPath holds a lock file there for its whole life, and
// records its JVM's pid beside it. The JVM exits when its parent's stdin pipe
// closes, but if it wedges before that watchdog starts (say, on the SQLite
// lock) a crashed run leaves it holding the database. The kernel releases the
// crashed run's lock, so the next Start knows any recorded JVM is stale.
const (
	lockFileName = "renkei-dynamodb-local.lock"
	pidFileName  = "renkei-dynamodb-local.pid"
)

// claimDBPath locks dbPath for this Server and kills a JVM left there by a
// run that is gone. A live holder means the directory is genuinely in use
// (another `make run`, say); taking it over would break that process.
func claimDBPath(dbPath string) (release func(), err error) {
	release, err = tryLockFile(filepath.Join(dbPath, lockFileName))
	if errors.Is(err, errLocked) {
		return nil, fmt.Errorf("dbPath %s is in use by another running DynamoDB Local", dbPath)
	}
	if err != nil {
		return nil, err
	}
	if err := reapStale(dbPath); err != nil {
		release()
		return nil, err
	}
	return release, nil
}

func reapStale(dbPath string) error {
	data, err := os.ReadFile(filepath.Join(dbPath, pidFileName))
	if err != nil {
		return nil
	}
	jvm, err := strconv.Atoi(string(bytes.TrimSpace(data)))
	if err != nil || !isLauncherFor(jvm, dbPath) {
		return nil
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

func writePidFile(dbPath string, jvm int) error {
	return os.WriteFile(filepath.Join(dbPath, pidFileName), []byte(strconv.Itoa(jvm)+"\n"), 0o644)
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
