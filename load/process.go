package load

// process identifies the process holding a lock, well enough for another
// process on the same host to tell whether it is still running: the
// kernel's boot id and the PID namespace (a container sees only its own),
// the host name, the pid and the process's start time (so a reused pid is
// not mistaken for the holder).
type process struct {
	Host   string `json:"host"`
	BootID string `json:"boot_id"`
	PIDNS  string `json:"pid_ns"`
	PID    int    `json:"pid"`
	Start  uint64 `json:"start"` // clock ticks after boot
}

// gone reports whether p certainly no longer runs: it ran on this host in
// this PID namespace since the last boot, and its pid is free or belongs
// to a process started at another time. Anything unknown is not gone.
func (p *process) gone() bool {
	self := selfProcess()
	if self == nil || p.BootID == "" || p.PIDNS == "" || p.PID <= 0 ||
		p.Host != self.Host || p.BootID != self.BootID || p.PIDNS != self.PIDNS {
		return false
	}
	start, running, ok := processStart(p.PID)
	if !ok {
		return false
	}
	return !running || start != p.Start
}
