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

const lockKey = LockDir + "/lake.json"

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
	// TakingOver is set when the holder's lease had expired but another
	// run is taking the lock over at the same moment.
	TakingOver bool
}

func (e *LockedError) Error() string {
	if e.TakingOver {
		return fmt.Sprintf("lake is locked: the lease of %q expired at %s and another run is taking it over",
			e.Holder, e.Expires.UTC().Format(time.RFC3339))
	}
	return fmt.Sprintf("lake is locked by %q (since %s, lease until %s)",
		e.Holder, e.Acquired.UTC().Format(time.RFC3339), e.Expires.UTC().Format(time.RFC3339))
}

type lockRecord struct {
	Holder   string    `json:"holder"`
	Token    string    `json:"token"`
	Acquired time.Time `json:"acquired"`
	Expires  time.Time `json:"expires"`
}

// Lock is a held lease on a lake. Refresh it well within the lease (a
// heartbeat goroutine may do so while the run works; Lock is safe for
// concurrent use); the lake also refreshes it on Publish when half the lease
// has passed.
type Lock struct {
	l     *Lake
	lease time.Duration

	mu       sync.Mutex // serialises Refresh and Release; guards rec and released
	rec      lockRecord
	released bool
}

// Lock takes the lake's lock for holder (a name for humans: host, pod, pid)
// for lease. The lock object is created with a conditional write
// (If-None-Match: *), so of two runs exactly one wins; the other gets a
// *LockedError naming the holder. A lock whose lease has expired (its run
// died) is taken over: a takeover marker, itself a conditional write,
// makes sure only one contender replaces it.
//
// Leases compare the clocks of different machines: keep them much longer
// than the expected clock skew (minutes, not seconds).
func (l *Lake) Lock(ctx context.Context, holder string, lease time.Duration) (*Lock, error) {
	if holder == "" || lease <= 0 {
		return nil, fmt.Errorf("load: lock: want a holder name and a positive lease")
	}
	var tok [16]byte
	if _, err := rand.Read(tok[:]); err != nil {
		return nil, fmt.Errorf("load: lock: %w", err)
	}
	now := l.opts.Now().UTC()
	rec := lockRecord{Holder: holder, Token: hex.EncodeToString(tok[:]), Acquired: now, Expires: now.Add(lease)}
	data, err := json.Marshal(rec)
	if err != nil {
		return nil, fmt.Errorf("load: lock: %w", err)
	}
	for attempt := 0; ; attempt++ {
		err := l.b.PutIfAbsent(ctx, lockKey, data)
		if err == nil {
			k := &Lock{l: l, rec: rec, lease: lease}
			l.mu.Lock()
			l.lock = k
			l.mu.Unlock()
			return k, nil
		}
		if !errors.Is(err, ErrExists) {
			return nil, fmt.Errorf("load: lock: %w", err)
		}
		var cur lockRecord
		if err := l.readJSON(ctx, lockKey, &cur); err != nil {
			if errors.Is(err, ErrNotExist) && attempt < 3 {
				continue // released meanwhile
			}
			return nil, fmt.Errorf("load: lock: read holder: %w", err)
		}
		if l.opts.Now().Before(cur.Expires) {
			return nil, fmt.Errorf("load: lock: %w", &LockedError{Holder: cur.Holder, Acquired: cur.Acquired, Expires: cur.Expires})
		}
		// The holder's lease expired: take over, once.
		marker := LockDir + "/takeover-" + cur.Token + ".json"
		if err := l.b.PutIfAbsent(ctx, marker, data); err != nil {
			if errors.Is(err, ErrExists) {
				return nil, fmt.Errorf("load: lock: %w", &LockedError{Holder: cur.Holder, Acquired: cur.Acquired, Expires: cur.Expires, TakingOver: true})
			}
			return nil, fmt.Errorf("load: lock: %w", err)
		}
		l.opts.Logger.Warn("taking over an expired lake lock", "holder", cur.Holder, "expired", cur.Expires)
		if err := l.b.Delete(ctx, lockKey); err != nil {
			return nil, fmt.Errorf("load: lock: remove expired lock: %w", err)
		}
		if attempt >= 3 {
			return nil, fmt.Errorf("load: lock: gave up after %d attempts", attempt+1)
		}
	}
}

// Holder returns the name the lock was taken for.
func (k *Lock) Holder() string { return k.rec.Holder } // never changes

// Expires returns the end of the current lease.
func (k *Lock) Expires() time.Time {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.rec.Expires
}

// state returns the lease's end and whether the lock was released.
func (k *Lock) state() (time.Time, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.rec.Expires, k.released
}

// current reads the lock object and checks it is still ours.
func (k *Lock) current(ctx context.Context) error {
	var cur lockRecord
	if err := k.l.readJSON(ctx, lockKey, &cur); err != nil {
		if errors.Is(err, ErrNotExist) {
			return fmt.Errorf("%w: lock object is gone", ErrLockLost)
		}
		return err
	}
	if cur.Token != k.rec.Token {
		return fmt.Errorf("%w: now held by %q", ErrLockLost, cur.Holder)
	}
	return nil
}

// Refresh extends the lease by its original length from now. It fails
// with ErrLockLost if another run took the lock over.
func (k *Lock) Refresh(ctx context.Context) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.released {
		return fmt.Errorf("load: refresh lock: %w", ErrNotLocked)
	}
	if err := k.current(ctx); err != nil {
		return fmt.Errorf("load: refresh lock: %w", err)
	}
	rec := k.rec
	rec.Expires = k.l.opts.Now().UTC().Add(k.lease)
	if err := k.l.writeJSON(ctx, lockKey, rec); err != nil {
		return fmt.Errorf("load: refresh lock: %w", err)
	}
	k.rec = rec
	return nil
}

// Release deletes the lock object if it is still ours. Releasing twice is
// a no-op.
func (k *Lock) Release(ctx context.Context) error {
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
	if err := k.l.b.Delete(ctx, lockKey); err != nil {
		return fmt.Errorf("load: release lock: %w", err)
	}
	return nil
}

// requireLock checks the lake holds a live lease, refreshing it when half
// of it has passed.
func (l *Lake) requireLock(ctx context.Context) error {
	l.mu.Lock()
	k := l.lock
	l.mu.Unlock()
	if k == nil {
		return ErrNotLocked
	}
	expires, released := k.state()
	if released {
		return ErrNotLocked
	}
	now := l.opts.Now()
	if !now.Before(expires) {
		return fmt.Errorf("%w: lease expired at %s", ErrLockLost, expires.Format(time.RFC3339))
	}
	if expires.Sub(now) < k.lease/2 {
		return k.Refresh(ctx)
	}
	return nil
}
