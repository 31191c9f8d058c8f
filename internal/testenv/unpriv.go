package testenv

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Running a test server as an unprivileged OS user, detached, shared by
// StartPostgres and StartLDAP: the user's credential, a run directory that
// user can reach, running and launching binaries as it, the pid and state
// files, and stopping with a ladder of signals.

// credentialOf is the credential of u, without its supplementary groups.
func credentialOf(u *user.User) (*syscall.Credential, error) {
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, err
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}, nil
}

// prepareRunDir lets cred's user enter dir (mode 0711: the state file,
// env file and logs/ stay private) and returns the directory the server's
// files go in: dir, or a new private directory under the system's
// temporary directory (named tmpPrefix...) when the user cannot reach dir.
// It also returns the user's name. With a nil cred it returns dir, "".
// On error runDir is what the server's Stop should clean up ("": none).
func prepareRunDir(dir string, cred *syscall.Credential, tmpPrefix string) (runDir, osUser string, err error) {
	if cred == nil {
		return dir, "", nil
	}
	if u, _ := user.LookupId(strconv.Itoa(int(cred.Uid))); u != nil {
		osUser = u.Username
	}
	if err := os.Chmod(dir, 0o711); err != nil {
		return dir, osUser, err
	}
	if reachable(dir, cred) {
		return dir, osUser, nil
	}
	if runDir, err = os.MkdirTemp("", tmpPrefix); err != nil {
		return "", osUser, err
	}
	return runDir, osUser, os.Chmod(runDir, 0o711)
}

// reachable reports whether the server's user can enter dir and every
// parent of it.
func reachable(dir string, cred *syscall.Credential) bool {
	for d := dir; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return false
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		mode := fi.Mode().Perm()
		if !(mode&0o001 != 0 || (ok && st.Uid == cred.Uid && mode&0o100 != 0) || (ok && st.Gid == cred.Gid && mode&0o010 != 0)) {
			return false
		}
		if d == filepath.Dir(d) {
			return true
		}
	}
}

// serverCommand is bin with args as cred (nil: this user) in cwd with env,
// output to logFile (created), which the caller closes.
func serverCommand(cred *syscall.Credential, env []string, setpgid bool, cwd, logFile, bin string, args ...string) (*exec.Cmd, *os.File, error) {
	logf, err := os.Create(logFile)
	if err != nil {
		return nil, nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = cwd, logf, logf
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: setpgid, Credential: cred}
	return cmd, logf, nil
}

// runAs runs bin to completion as cred (nil: this user), output to logFile.
func runAs(cred *syscall.Credential, env []string, cwd, logFile, bin string, args ...string) error {
	cmd, logf, err := serverCommand(cred, env, false, cwd, logFile, bin, args...)
	if err != nil {
		return err
	}
	defer logf.Close()
	return cmd.Run()
}

// launchAs starts bin as cred in its own process group, detached.
func launchAs(cred *syscall.Credential, env []string, cwd, logFile, bin string, args ...string) (int, error) {
	cmd, logf, err := serverCommand(cred, env, true, cwd, logFile, bin, args...)
	if err != nil {
		return 0, err
	}
	defer logf.Close()
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("starting %s: %w", filepath.Base(bin), err)
	}
	go func() { _ = cmd.Wait() }()
	return cmd.Process.Pid, nil
}

// envWithout is this environment without the variables named prefix...
func envWithout(prefix string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, prefix) {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// pidsAlive reports whether there are pids and every one is running.
func pidsAlive(pids []int) bool {
	if len(pids) == 0 {
		return false
	}
	for _, pid := range pids {
		if syscall.Kill(pid, 0) != nil {
			return false
		}
	}
	return true
}

// signalPids sends each pid the signals in turn, waiting up to 10 s after
// each for it to exit; name is the server's, for the error when a pid
// survives SIGKILL.
func signalPids(name string, pids []int, signals ...syscall.Signal) error {
	var errs []error
	for _, pid := range pids {
		for _, sig := range signals {
			if syscall.Kill(pid, sig) != nil {
				break
			}
			deadline := time.Now().Add(10 * time.Second)
			for syscall.Kill(pid, 0) == nil && time.Now().Before(deadline) {
				time.Sleep(50 * time.Millisecond)
			}
			if syscall.Kill(pid, 0) != nil {
				break
			}
			if sig == syscall.SIGKILL {
				errs = append(errs, fmt.Errorf("%s pid %d did not exit after SIGKILL", name, pid))
			}
		}
	}
	return errors.Join(errs...)
}

// saveState writes v as indented JSON to path, private.
func saveState(path string, v any) error {
	b, _ := json.MarshalIndent(v, "", "  ")
	return os.WriteFile(path, b, 0o600)
}

// loadState reads the JSON at path into v.
func loadState(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// stopStateDir stops the server whose state file is dir/stateFile, if
// any: load reads the state, and the result's Stop stops it.
func stopStateDir[T interface{ Stop() error }](dir string, load func(dir string) (T, error)) error {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	s, err := load(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return s.Stop()
}
