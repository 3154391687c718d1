package load

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"sync"
)

var self = sync.OnceValue(func() *process {
	boot, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return nil
	}
	ns, err := os.Readlink("/proc/self/ns/pid")
	if err != nil {
		return nil
	}
	host, err := os.Hostname()
	if err != nil {
		return nil
	}
	pid := os.Getpid()
	start, running, ok := processStart(pid)
	if !ok || !running {
		return nil
	}
	return &process{Host: host, BootID: strings.TrimSpace(string(boot)), PIDNS: ns, PID: pid, Start: start}
})

// selfProcess returns this process's identity, or nil where it cannot be
// known.
func selfProcess() *process {
	p := self()
	if p == nil {
		return nil
	}
	c := *p
	return &c
}

// processStart reads /proc/<pid>/stat: running is false when there is no
// such process or it is a zombie; ok is false when the answer is unknown.
func processStart(pid int) (start uint64, running, ok bool) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if errors.Is(err, fs.ErrNotExist) {
		return 0, false, true
	}
	if err != nil {
		return 0, false, false
	}
	// pid (comm) state ppid ... : comm may hold spaces and parentheses,
	// so the fields start after the last ')'. starttime is field 22.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, false, false
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 20 {
		return 0, false, false
	}
	if f[0] == "Z" || f[0] == "X" {
		return 0, false, true
	}
	start, err = strconv.ParseUint(f[19], 10, 64)
	if err != nil {
		return 0, false, false
	}
	return start, true, true
}
