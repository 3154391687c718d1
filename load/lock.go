package load

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
)

// lockKey is the account's lock: each account has its own, so two
// accounts' runs never wait for each other.
func (l *Lake) lockKey() string { return LockDir + "/" + l.acct + "lake.json" }

// Lock errors.
var (
	// ErrNotLocked: a write was attempted without holding the lake's lock.
	ErrNotLocked = errors.New("lake lock not held")
	// ErrLockLost: the lease expired, or another run took the lock over.
	ErrLockLost = errors.New("lake lock lost")
)

// LockedError reports that another run holds the lake's lock.
type LockedError struct {
	Holder   string
	Acquired time.Time
	Expires  time.Time
	// TakingOver is set when the holder's lease had expired (or its
	// process is gone) but another run is taking the lock over at the
	// same moment.
	TakingOver bool
}

func (e *LockedError) Error() string {
	if e.TakingOver {
		return fmt.Sprintf("lake is locked: the lock of %q is being taken over by another run", e.Holder)
	}
	return fmt.Sprintf("lake is locked by %q (since %s, lease until %s)",
		e.Holder, e.Acquired.UTC().Format(time.RFC3339), e.Expires.UTC().Format(time.RFC3339))
}

type lockRecord struct {
	Holder   string    `json:"holder"`
	Token    string    `json:"token"`
	Acquired time.Time `json:"acquired"`
	Expires  time.Time `json:"expires"`
	// Process identifies the holder's process where the platform allows
	// it, so that a run on the same host can tell that it is gone.
	Process *process `json:"process,omitempty"`
}

// Lock is a held lease on a lake. From Lock until Release, a goroutine of
// the Lock renews the lease every third of its length: the lake's only
// renewer. A renewal that finds the lock taken over marks it lost, and
// every later write of the lake fails with ErrLockLost. Lock is safe for
// concurrent use.
type Lock struct {
	l     *Lake
	lease time.Duration

	mu       sync.Mutex // serialises Refresh and Release; guards rec, released and lost
	rec      lockRecord
	released bool
	lost     error

	stopRenew context.CancelFunc
	renewing  sync.WaitGroup
}

// Lock takes the lake's lock for holder (a name for humans: host, pod, pid)
// for lease, after checking that the location is this lake's (it writes
// the lake marker to a new lake; a location holding other objects is
// refused unless Options.Create, see ErrNotALake).
//
// The lock object is created with a conditional write (If-None-Match: *),
// so of two runs exactly one wins; the other gets a *LockedError naming the
// holder. A lock is taken over when its lease has expired (its run died on
// another machine), or at once when its holder ran on this host (same boot
// and PID namespace) and that process is gone (pid and start time): a
// takeover marker, itself a conditional write, makes sure only one
// contender replaces it.
//
// Leases compare the clocks of different machines: keep them far longer
// than the clock skew between them and than a stall of the process.
func (l *Lake) Lock(ctx context.Context, holder string, lease time.Duration) (*Lock, error) {
	if holder == "" || lease <= 0 {
		return nil, fmt.Errorf("load: lock: want a holder name and a positive lease")
	}
	if err := l.claim(ctx); err != nil {
		return nil, fmt.Errorf("load: lock: %w", err)
	}
	var tok [16]byte
	if _, err := rand.Read(tok[:]); err != nil {
		return nil, fmt.Errorf("load: lock: %w", err)
	}
	now := l.opts.Now().UTC()
	rec := lockRecord{Holder: holder, Token: hex.EncodeToString(tok[:]), Acquired: now, Expires: now.Add(lease), Process: selfProcess()}
	data, err := json.Marshal(rec)
	if err != nil {
		return nil, fmt.Errorf("load: lock: %w", err)
	}
	remedy := fmt.Sprintf("if no invoicelake run is writing this lake, delete %s and run again", l.where(l.lockKey()))
	for attempt := 0; ; attempt++ {
		err := l.b.PutIfAbsent(ctx, l.lockKey(), data)
		if err == nil {
			k := &Lock{l: l, rec: rec, lease: lease}
			k.startRenewing(ctx)
			l.mu.Lock()
			l.lock = k
			l.mu.Unlock()
			return k, nil
		}
		if !errors.Is(err, ErrExists) {
			return nil, fmt.Errorf("load: lock: %w", err)
		}
		var cur lockRecord
		if err := l.readJSON(ctx, l.lockKey(), &cur, remedy); err != nil {
			if errors.Is(err, ErrNotExist) && attempt < 3 {
				continue // released meanwhile
			}
			return nil, fmt.Errorf("load: lock: read holder: %w", err)
		}
		if cur.Token == "" || cur.Expires.IsZero() {
			return nil, fmt.Errorf("load: lock: %w", &CorruptError{Key: l.lockKey(), Err: errors.New("no token or expiry"), Remedy: remedy})
		}
		gone := cur.Process != nil && cur.Process.gone()
		if !gone && l.opts.Now().Before(cur.Expires) {
			return nil, fmt.Errorf("load: lock: %w", &LockedError{Holder: cur.Holder, Acquired: cur.Acquired, Expires: cur.Expires})
		}
		// The holder is dead: take over, once.
		marker := LockDir + "/" + l.acct + "takeover-" + cur.Token + ".json"
		if err := l.b.PutIfAbsent(ctx, marker, data); err != nil {
			if errors.Is(err, ErrExists) {
				return nil, fmt.Errorf("load: lock: %w", &LockedError{Holder: cur.Holder, Acquired: cur.Acquired, Expires: cur.Expires, TakingOver: true})
			}
			return nil, fmt.Errorf("load: lock: %w", err)
		}
		if gone {
			l.opts.Logger.Warn("taking over the lake lock of a process of this host that is gone", "holder", cur.Holder, "pid", cur.Process.PID)
		} else {
			l.opts.Logger.Warn("taking over an expired lake lock", "holder", cur.Holder, "expired", cur.Expires)
		}
		if err := l.b.Delete(ctx, l.lockKey()); err != nil {
			return nil, fmt.Errorf("load: lock: remove the dead holder's lock: %w", err)
		}
		if attempt >= 3 {
			return nil, fmt.Errorf("load: lock: gave up after %d attempts", attempt+1)
		}
	}
}

// startRenewing starts the renewer: a goroutine owned by k, stopped and
// joined by Release.
func (k *Lock) startRenewing(ctx context.Context) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	k.stopRenew = cancel
	every := max(k.lease/3, 10*time.Millisecond)
	k.renewing.Go(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			err := k.Refresh(ctx)
			switch {
			case err == nil, ctx.Err() != nil:
			case errors.Is(err, ErrLockLost), errors.Is(err, ErrNotLocked):
				k.l.opts.Logger.Error("the lake lock was lost; this run's next publish fails", "err", err)
				return
			default:
				k.l.opts.Logger.Warn("could not renew the lake lock; retrying (writes fail once the lease runs out)", "err", err)
			}
		}
	})
}

// state returns the lease's end, whether the lock was released, and why it
// was lost if it was.
func (k *Lock) state() (time.Time, bool, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.rec.Expires, k.released, k.lost
}

// current reads the lock object and checks it is still ours.
func (k *Lock) current(ctx context.Context) error {
	var cur lockRecord
	if err := k.l.readJSON(ctx, k.l.lockKey(), &cur, "another process rewrote it"); err != nil {
		if errors.Is(err, ErrNotExist) {
			return fmt.Errorf("%w: lock object is gone", ErrLockLost)
		}
		var ce *CorruptError
		if errors.As(err, &ce) {
			return fmt.Errorf("%w: %v", ErrLockLost, err)
		}
		return err
	}
	if cur.Token != k.rec.Token {
		return fmt.Errorf("%w: now held by %q", ErrLockLost, cur.Holder)
	}
	return nil
}

// Refresh extends the lease by its original length from now. It fails
// with ErrLockLost if another run took the lock over. The renewer calls
// it; callers need not.
func (k *Lock) Refresh(ctx context.Context) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.released {
		return fmt.Errorf("load: refresh lock: %w", ErrNotLocked)
	}
	if k.lost != nil {
		return fmt.Errorf("load: refresh lock: %w", k.lost)
	}
	if err := k.current(ctx); err != nil {
		if errors.Is(err, ErrLockLost) {
			k.lost = err
		}
		return fmt.Errorf("load: refresh lock: %w", err)
	}
	rec := k.rec
	rec.Expires = k.l.opts.Now().UTC().Add(k.lease)
	if err := k.l.writeJSON(ctx, k.l.lockKey(), rec); err != nil {
		return fmt.Errorf("load: refresh lock: %w", err)
	}
	k.rec = rec
	return nil
}

// Release stops the renewer and deletes the lock object if it is still
// ours. Releasing twice is a no-op.
func (k *Lock) Release(ctx context.Context) error {
	k.stopRenew()
	k.renewing.Wait()
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.released {
		return nil
	}
	k.released = true
	k.l.mu.Lock()
	if k.l.lock == k {
		k.l.lock = nil
	}
	k.l.mu.Unlock()
	if err := k.current(ctx); err != nil {
		return fmt.Errorf("load: release lock: %w", err)
	}
	if err := k.l.b.Delete(ctx, k.l.lockKey()); err != nil {
		return fmt.Errorf("load: release lock: %w", err)
	}
	return nil
}

// requireLock checks the lake holds a live lease.
func (l *Lake) requireLock() error {
	l.mu.Lock()
	k := l.lock
	l.mu.Unlock()
	if k == nil {
		return ErrNotLocked
	}
	expires, released, lost := k.state()
	switch {
	case released:
		return ErrNotLocked
	case lost != nil:
		return lost
	case !l.opts.Now().Before(expires):
		return fmt.Errorf("%w: lease expired at %s", ErrLockLost, expires.Format(time.RFC3339))
	}
	return nil
}
