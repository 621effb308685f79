// Package framework starts and stops the processes of the end-to-end suite
// and the demo: the local cluster (hack/local-cluster), the ENS emulator and
// edge-controller-manager replicas, each a real OS process with its own log
// file. It is test support only; production code must not import it.
package framework

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Process is one child process whose output goes to LogPath.
type Process struct {
	Name    string
	LogPath string
	Bin     string
	Args    []string
	Env     []string

	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// NewProcess describes a process; Start runs it.
func NewProcess(name, logPath, bin string, args ...string) *Process {
	return &Process{Name: name, LogPath: logPath, Bin: bin, Args: args}
}

// Start runs the process in its own process group, appending its output
// to LogPath, so a restart keeps the earlier log.
func (p *Process) Start() error {
	if p.Alive() {
		return fmt.Errorf("%s is already running (pid %d)", p.Name, p.Pid())
	}
	f, err := os.OpenFile(p.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	fmt.Fprintf(f, "=== %s: starting %s %s\n", time.Now().Format(time.RFC3339Nano), p.Bin, strings.Join(p.Args, " "))
	cmd := exec.Command(p.Bin, p.Args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Env = append(os.Environ(), p.Env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", p.Name, err)
	}
	p.cmd, p.done, p.err = cmd, make(chan struct{}), nil
	go func(done chan struct{}) {
		p.err = cmd.Wait()
		close(done)
	}(p.done)
	return nil
}

// Pid is the process id of the last start (0 before the first).
func (p *Process) Pid() int {
	if p.cmd == nil || p.cmd.Process == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// Alive says whether the last start is still running.
func (p *Process) Alive() bool {
	if p.done == nil {
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// Kill sends SIGKILL and waits for the process to be gone.
func (p *Process) Kill() error {
	if !p.Alive() {
		return nil
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
	return nil
}

// Stop sends SIGTERM, waits up to timeout, then SIGKILL. It returns an
// error when the process needed SIGKILL.
func (p *Process) Stop(timeout time.Duration) error {
	if !p.Alive() {
		return nil
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return nil
	case <-time.After(timeout):
		_ = p.Kill()
		return fmt.Errorf("%s ignored SIGTERM for %s and was killed", p.Name, timeout)
	}
}

// ExitError is the exit status of a process that has ended (nil while it runs).
func (p *Process) ExitError() error {
	if p.done == nil || p.Alive() {
		return nil
	}
	if p.err == nil {
		return errors.New("exited with status 0")
	}
	return p.err
}

// Tail returns the last n lines of the process's log.
func (p *Process) Tail(n int) string { return TailFile(p.LogPath, n) }

// TailFile returns the last n lines of a file, or a note why it cannot.
func TailFile(path string, n int) string {
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", path, err)
	}
	lines := bytes.Split(bytes.TrimRight(raw, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// FreeAddr returns a loopback host:port that nothing listens on right now.
func FreeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
