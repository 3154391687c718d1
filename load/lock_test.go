package load

import (
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// deadProcess returns the identity of a process of this host that has
// exited (a real one: started, waited for).
func deadProcess(t *testing.T) *process {
	t.Helper()
	self := selfProcess()
	if self == nil {
		t.Skip("no process identity on this platform")
	}
	cmd := exec.Command("true")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	start, running, ok := processStart(pid)
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	if !ok || !running {
		// It exited before we read it: its start time is unknown, but
		// any start time is then "another process".
		start = 1
	}
	p := *self
	p.PID, p.Start = pid, start
	return &p
}

// TestLockTakesOverADeadHolderOfThisHost: a lock whose holder ran on this
// host and is gone is taken over at once, long before its lease expires;
// one whose holder lives, or ran elsewhere, is not.
func TestLockTakesOverADeadHolderOfThisHost(t *testing.T) {
	ctx := context.Background()
	self := selfProcess()
	if self == nil {
		t.Skip("no process identity on this platform")
	}
	reused := *self
	reused.Start++ // our pid, another start time: a reused pid
	otherHost := *deadProcess(t)
	otherHost.Host = "another-pod"
	otherNS := *deadProcess(t)
	otherNS.PIDNS = "pid:[1]"
	tests := []struct {
		name     string
		holder   *process
		takeover bool
	}{
		{"process gone", deadProcess(t), true},
		{"pid reused by another process", &reused, true},
		{"holder alive (this process)", self, false},
		{"another host", &otherHost, false},
		{"another PID namespace (another container)", &otherNS, false},
		{"no identity (another platform, an older release)", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, b := newFileLake(t, Options{})
			rec := lockRecord{Holder: "killed-run", Token: strings.Repeat("ab", 16), Acquired: time.Now().UTC(),
				Expires: time.Now().Add(time.Hour).UTC(), Process: tt.holder}
			data, _ := json.Marshal(rec)
			lock(t, l).Release(ctx) // writes the marker
			if err := b.PutIfAbsent(ctx, testLockKey, data); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			k, err := l.Lock(ctx, "next", time.Minute)
			var le *LockedError
			switch {
			case tt.takeover && err != nil:
				t.Fatalf("Lock: %v, want the dead holder's lock taken over", err)
			case tt.takeover:
				if d := time.Since(start); d > 5*time.Second {
					t.Errorf("takeover took %v", d)
				}
				k.Release(ctx)
			case !errors.As(err, &le) || le.Holder != "killed-run":
				t.Errorf("Lock: got %v, want *LockedError naming killed-run", err)
			}
		})
	}
}

// TestLockRenewer: the Lock's own renewer keeps the lease ahead of the
// clock while held, stops at Release, and marks the lock lost when another
// run took it over.
func TestLockRenewer(t *testing.T) {
	ctx := context.Background()
	l, b := newFileLake(t, Options{})
	k, err := l.Lock(ctx, "renewed", 900*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second) // over three leases
	if err := l.requireLock(); err != nil {
		t.Fatalf("after three leases: %v (the renewer did not renew)", err)
	}
	var rec lockRecord
	if err := l.readJSON(ctx, testLockKey, &rec, ""); err != nil || time.Until(rec.Expires) <= 0 {
		t.Errorf("lock object expires %v, %v: want in the future", rec.Expires, err)
	}
	// Another run replaces the lock object, just after a renewal (the
	// renewer's read-check-write is not atomic on a bucket without
	// conditional overwrites: a write landing inside it would be lost):
	// the renewer notices at its next renewal.
	for prev := rec.Expires; ; {
		if err := l.readJSON(ctx, testLockKey, &rec, ""); err != nil {
			t.Fatal(err)
		}
		if !rec.Expires.Equal(prev) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	rec.Token = strings.Repeat("cd", 16)
	rec.Holder = "thief"
	data, _ := json.Marshal(rec)
	if err := b.Put(ctx, testLockKey, strings.NewReader(string(data)), int64(len(data))); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for l.requireLock() == nil && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if err := l.requireLock(); !errors.Is(err, ErrLockLost) {
		t.Errorf("after a takeover: got %v, want ErrLockLost", err)
	}
	if err := k.Release(ctx); !errors.Is(err, ErrLockLost) {
		t.Errorf("Release of a lost lock: got %v, want ErrLockLost", err)
	}
	if got := content(t, b, testLockKey); !strings.Contains(got, "thief") {
		t.Errorf("the thief's lock was touched: %s", got)
	}
}
