package load

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/invoicelake/invoicelake/schemas"
)

// The lake's own naming scheme. Recover and Publish delete only objects
// whose keys match it and that a manifest or a journal names (or, for data
// files an older release left without a journal, whose content hashes to
// their name); everything else in the location is left alone.
var (
	acctRE      = `(account_id=[1-9][0-9]{0,18}/)?` // an account's subtree; none in the layout before accounts
	tablesRE    = `(` + alternation(tableDirs) + `)`
	dataKeyRE   = regexp.MustCompile(`^` + tablesRE + `/` + acctRE + `billing_period=(\d{4}-\d{2})/part-\d{5,}-([0-9a-f]{16})\.parquet$`)
	stagedKeyRE = regexp.MustCompile(`^` + StagingDir + `/` + acctRE + `[A-Za-z0-9._-]{1,64}/billing_period=\d{4}-\d{2}/` +
		tablesRE + `/part-\d{5,}-[0-9a-f]{16}\.parquet$`)
	journalKeyRE  = regexp.MustCompile(`^` + StagingDir + `/` + acctRE + `([A-Za-z0-9._-]{1,64})/billing_period=(\d{4}-\d{2})/` + journalName + `$`)
	manifestKeyRE = regexp.MustCompile(`^` + ManifestsDir + `/` + acctRE + `billing_period=(\d{4}-\d{2})\.json$`)
	lockKeyRE     = regexp.MustCompile(`^` + LockDir + `/` + acctRE + `(lake|takeover-[0-9a-f]{32})\.json$`)
	cmdKeyRE      = regexp.MustCompile(`^_(?:runs|state)/` + acctRE + `[A-Za-z0-9._-]{1,128}\.json$`)
)

const journalName = "journal.json"

// accountOf parses an account folder ("account_id=N/"), refusing any
// spelling but the canonical one (no leading zeros), so that one account
// never has two subtrees.
func accountOf(dir string) (int64, bool) {
	n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(dir, "account_id="), "/"), 10, 64)
	return n, err == nil && n > 0 && AccountDir(n)+"/" == dir
}

// alternation is a regular expression matching any of names.
func alternation(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = regexp.QuoteMeta(n)
	}
	return strings.Join(q, "|")
}

// validAcct reports whether a matched account folder is canonical ("" is
// the layout before accounts).
func validAcct(dir string) bool {
	if dir == "" {
		return true
	}
	_, ok := accountOf(dir)
	return ok
}

// dataKey parses a data file's key: its table, account folder ("" in the
// layout before accounts) and period.
func dataKey(key string) (table, acct string, p schemas.Period, ok bool) {
	m := dataKeyRE.FindStringSubmatch(key)
	if m == nil || !validAcct(m[2]) {
		return "", "", p, false
	}
	p, err := schemas.ParsePeriod(m[3])
	if err != nil || p.PartitionDir() != "billing_period="+m[3] {
		return "", "", p, false
	}
	return m[1], m[2], p, true
}

// manifestPeriod parses a manifest's key.
func manifestPeriod(key string) (acct string, p schemas.Period, ok bool) {
	m := manifestKeyRE.FindStringSubmatch(key)
	if m == nil || !validAcct(m[1]) {
		return "", schemas.Period{}, false
	}
	p, err := schemas.ParsePeriod(m[2])
	return m[1], p, err == nil && p.String() == m[2]
}

// ownKey reports whether key is named by the lake's scheme: what a lake
// (of this release or an earlier one) writes, and nothing else.
func ownKey(key string) bool {
	if key == MarkerKey {
		return true
	}
	if _, _, _, ok := dataKey(key); ok {
		return true
	}
	if _, _, ok := manifestPeriod(key); ok {
		return true
	}
	for _, re := range []*regexp.Regexp{stagedKeyRE, journalKeyRE, lockKeyRE, cmdKeyRE} {
		if m := re.FindStringSubmatch(key); m != nil && validAcct(m[1]) {
			return true
		}
	}
	return snapshotKey(key) || documentKey(key)
}

// keyAccount returns the account folder of a key re matches ("" when it
// has none), and whether re matches it.
func keyAccount(re *regexp.Regexp, key string) (string, bool) {
	m := re.FindStringSubmatch(key)
	if m == nil || !validAcct(m[1]) {
		return "", false
	}
	return m[1], true
}

// Ownership errors.
var (
	// ErrNotALake: the location holds objects the lake did not write and
	// no lake marker; Options.Create makes a lake there anyway.
	ErrNotALake = errors.New("not an invoicelake lake")
	// ErrNoLake: nothing was ever written to the location by a lake.
	ErrNoLake = errors.New("no lake at this location")
	// ErrNotClaimed: a write was attempted before Lock checked that the
	// location is the lake's.
	ErrNotClaimed = errors.New("the location was not claimed as a lake (call Lock first)")
)

// marker is the lake marker's content.
type marker struct {
	Format  string    `json:"format"` // always markerFormat
	Created time.Time `json:"created"`
}

const markerFormat = "invoicelake"

// LocationKind says what a location holds, as far as the lake is concerned.
type LocationKind int

const (
	// LocationEmpty holds nothing (or only what a lake writes before its
	// first period, e.g. a lock): a lake may be created there.
	LocationEmpty LocationKind = iota
	// LocationLake holds the lake marker, or manifests (a lake written by
	// a release before the marker existed).
	LocationLake
	// LocationForeign holds objects the lake did not write and no marker.
	LocationForeign
)

// Inspect says what the location holds, without writing anything. For a
// foreign location, foreign is the first object that the lake did not
// write. A marker that cannot be decoded is a *CorruptError.
func (l *Lake) Inspect(ctx context.Context) (kind LocationKind, foreign string, err error) {
	var mk marker
	err = l.readJSON(ctx, MarkerKey, &mk, fmt.Sprintf("if this location is an invoicelake lake, delete %s and run again: the lake is recognised by its manifests and the marker rewritten",
		l.where(MarkerKey)))
	if err == nil && mk.Format != markerFormat {
		err = &CorruptError{Key: MarkerKey, Err: fmt.Errorf("format %q, want %q", mk.Format, markerFormat),
			Remedy: fmt.Sprintf("if this location is an invoicelake lake, delete %s and run again", l.where(MarkerKey))}
	}
	switch {
	case err == nil:
		return LocationLake, "", nil
	case !errors.Is(err, ErrNotExist):
		return 0, "", fmt.Errorf("load: lake marker: %w", err)
	}
	// No marker: one listing of the whole location, stopping at the
	// first object that is not the lake's.
	manifests := false
	for o, err := range l.b.List(ctx, "") {
		if err != nil {
			return 0, "", fmt.Errorf("load: inspect location: %w", err)
		}
		if !ownKey(o.Key) {
			return LocationForeign, o.Key, nil
		}
		if _, _, ok := manifestPeriod(o.Key); ok {
			manifests = true
		}
	}
	if manifests {
		return LocationLake, "", nil
	}
	return LocationEmpty, "", nil
}

// Exists checks that the location is a lake (for readers such as verify):
// an error wrapping ErrNoLake if nothing is there, ErrNotALake if it holds
// other things. Both are permanent.
func (l *Lake) Exists(ctx context.Context) error {
	kind, foreign, err := l.Inspect(ctx)
	switch {
	case err != nil:
		return err
	case kind == LocationEmpty:
		return permanentf("load: %s: %w (check the location)", l.where(""), ErrNoLake)
	case kind == LocationForeign:
		return permanentf("load: %s holds %q, which invoicelake did not write, and no lake marker: %w", l.where(""), foreign, ErrNotALake)
	}
	return nil
}

// claim makes sure the location is this lake's before the first write:
// a lake (marker, or manifests of an earlier release) or an empty location
// gets the marker; a foreign one is refused unless Options.Create.
func (l *Lake) claim(ctx context.Context) error {
	l.mu.Lock()
	done := l.claimed
	l.mu.Unlock()
	if done {
		return nil
	}
	kind, foreign, err := l.Inspect(ctx)
	if err != nil {
		return err
	}
	if kind == LocationForeign {
		if !l.opts.Create {
			return permanentf("load: %s holds %q, which invoicelake did not write, and no lake marker (%s): %w; "+
				"point the lake at an empty folder or prefix, or allow a lake there with --create-lake (lake.create: true): "+
				"objects the lake did not write are never modified or deleted", l.where(""), foreign, MarkerKey, ErrNotALake)
		}
		l.opts.Logger.Warn("creating a lake in a location that holds other objects; they are never modified or deleted",
			"location", l.where(""), "example", foreign)
	}
	if kind != LocationLake || l.markerMissing(ctx) {
		data := fmt.Appendf(nil, "{\n  \"format\": %q,\n  \"created\": %q\n}\n", markerFormat, l.opts.Now().UTC().Format(time.RFC3339))
		if err := l.b.PutIfAbsent(ctx, MarkerKey, data); err != nil && !errors.Is(err, ErrExists) {
			return fmt.Errorf("load: write the lake marker: %w", err)
		}
	}
	l.mu.Lock()
	l.claimed = true
	l.mu.Unlock()
	return nil
}

func (l *Lake) markerMissing(ctx context.Context) bool {
	rc, err := l.b.Get(ctx, MarkerKey)
	if err != nil {
		return errors.Is(err, ErrNotExist)
	}
	rc.Close()
	return false
}

// journal is what a publish will place in the table folders and supersede,
// written to staging before the first object lands in a table folder. It
// is how Recover knows which objects a dead run wrote there.
type journal struct {
	Period string   `json:"billing_period"`
	RunID  string   `json:"run_id"`
	New    []string `json:"new"` // final keys copied into place
	Old    []string `json:"old"` // the previous manifest's files
}

func (l *Lake) journalKey(run string, p schemas.Period) string {
	return l.stagingPrefix(run, p) + journalName
}

// Recovery reports what Recover removed, and what it left alone.
type Recovery struct {
	Staging        []string // staged objects and journals of dead runs
	Strays         []string // objects in table folders that no manifest lists, written by a lake
	UploadsAborted int      // incomplete multipart uploads under _staging/ (S3)
	// Foreign lists objects under the lake's folders that the lake did not
	// write: never touched. Readers that glob the table folders see them.
	Foreign []string
	// Skipped lists periods whose manifest is corrupt: nothing of theirs
	// was removed (see the CorruptError that publishing them returns).
	Skipped []string
}

// Recover cleans up after runs that died. It removes only what a lake
// wrote: each dead run's journaled objects that the period's manifest
// does not list, its staged objects and journal, the incomplete multipart
// uploads under _staging/, and data files named by the lake's scheme whose
// content hashes to their name (left by a release without journals) that
// no manifest lists. It never touches a file a manifest lists, nor an
// object the lake did not write; a period whose manifest is corrupt is
// skipped. Call it after Lock and before Begin; it requires the lock.
func (l *Lake) Recover(ctx context.Context) (Recovery, error) {
	var rec Recovery
	if err := l.requireLock(); err != nil {
		return rec, fmt.Errorf("load: recover: %w", err)
	}
	manifests := map[schemas.Period]map[string]bool{} // period -> listed keys; nil: corrupt
	listed := func(p schemas.Period) (map[string]bool, error) {
		if keys, ok := manifests[p]; ok {
			return keys, nil
		}
		m, _, err := l.Manifest(ctx, p)
		var ce *CorruptError
		if errors.As(err, &ce) {
			l.opts.Logger.Warn("corrupt manifest: its period is left as it is", "period", p.String(), "err", err)
			rec.Skipped = append(rec.Skipped, p.String())
			manifests[p] = nil
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		keys := map[string]bool{}
		for _, f := range m.Files() {
			keys[f.Key] = true
		}
		manifests[p] = keys
		return keys, nil
	}
	removeStray := func(key string) error {
		if err := l.b.Delete(ctx, key); err != nil {
			return err
		}
		rec.Strays = append(rec.Strays, key)
		return nil
	}

	// 1. Journals: the objects dead runs placed or meant to supersede.
	// Only the account's own subtree is listed, or (the layout before
	// accounts) the keys with no account.
	staged, err := l.listKeys(ctx, StagingDir+"/"+l.acct)
	if err != nil {
		return rec, fmt.Errorf("load: recover: %w", err)
	}
	mine := func(re *regexp.Regexp, key string) bool {
		a, ok := keyAccount(re, key)
		return ok && a == l.acct
	}
	staged = slices.DeleteFunc(staged, func(o Object) bool {
		// Another account's subtree (listed only by the layout before
		// accounts, whose prefix holds them all).
		return l.acct == "" && strings.HasPrefix(o.Key, StagingDir+"/account_id=")
	})
	keep := map[string]bool{} // staging folders of journals left for later
	var journals []string
	for _, o := range staged {
		if mine(journalKeyRE, o.Key) {
			journals = append(journals, o.Key)
		}
	}
	for _, jk := range journals {
		dir := strings.TrimSuffix(jk, journalName)
		var j journal
		if err := l.readJSON(ctx, jk, &j, "it is removed by hand only if no run is writing"); err != nil {
			l.opts.Logger.Warn("unreadable publish journal: left in place", "key", jk, "err", err)
			keep[dir] = true
			continue
		}
		p, err := schemas.ParsePeriod(j.Period)
		if err != nil || l.stagingPrefix(j.RunID, p) != dir {
			l.opts.Logger.Warn("publish journal does not match its key: left in place", "key", jk)
			keep[dir] = true
			continue
		}
		keys, err := listed(p)
		if err != nil {
			return rec, fmt.Errorf("load: recover: %w", err)
		}
		if keys == nil {
			keep[dir] = true
			continue
		}
		for _, k := range append(j.New, j.Old...) {
			if _, ka, kp, ok := dataKey(k); !ok || ka != l.acct || kp != p || keys[k] {
				continue // not a data file of this period, or published
			}
			if err := removeStray(k); err != nil {
				return rec, fmt.Errorf("load: recover: %w", err)
			}
		}
	}
	// 2. Staged objects, then the journals (last: they name the strays).
	for _, re := range []*regexp.Regexp{stagedKeyRE, journalKeyRE} {
		for _, o := range staged {
			if !mine(re, o.Key) || keptDir(keep, o.Key) {
				continue
			}
			if err := l.b.Delete(ctx, o.Key); err != nil {
				return rec, fmt.Errorf("load: recover: %w", err)
			}
			rec.Staging = append(rec.Staging, o.Key)
		}
	}
	for _, o := range staged {
		if !mine(stagedKeyRE, o.Key) && !mine(journalKeyRE, o.Key) && !isSnapshotJournal(o.Key) {
			rec.Foreign = append(rec.Foreign, o.Key)
		}
	}
	if err := l.recoverSnapshots(ctx, staged, &rec); err != nil {
		return rec, fmt.Errorf("load: recover snapshots: %w", err)
	}
	if a, ok := l.b.(interface {
		AbortIncompleteUploads(context.Context, string) (int, error)
	}); ok {
		n, err := a.AbortIncompleteUploads(ctx, StagingDir+"/"+l.acct)
		rec.UploadsAborted = n
		if err != nil {
			return rec, fmt.Errorf("load: recover: %w", err)
		}
	}
	// 3. Data files no manifest lists and no journal named: only those
	// whose content proves the lake wrote them.
	for _, table := range tableDirs {
		objs, err := l.listKeys(ctx, table+"/"+l.acct)
		if err != nil {
			return rec, fmt.Errorf("load: recover: %w", err)
		}
		for _, o := range objs {
			if l.acct == "" && strings.HasPrefix(o.Key, table+"/account_id=") {
				continue // another account's subtree
			}
			_, a, p, ok := dataKey(o.Key)
			if !ok || a != l.acct {
				rec.Foreign = append(rec.Foreign, o.Key)
				continue
			}
			keys, err := listed(p)
			if err != nil {
				return rec, fmt.Errorf("load: recover: %w", err)
			}
			if keys == nil || keys[o.Key] {
				continue
			}
			ours, err := l.contentMatchesName(ctx, o)
			if err != nil {
				return rec, fmt.Errorf("load: recover: %w", err)
			}
			if !ours {
				rec.Foreign = append(rec.Foreign, o.Key)
				continue
			}
			if err := removeStray(o.Key); err != nil {
				return rec, fmt.Errorf("load: recover: %w", err)
			}
		}
	}
	if len(rec.Staging)+len(rec.Strays)+rec.UploadsAborted > 0 {
		l.opts.Logger.Warn("recovered lake after a dead run",
			"staging_removed", len(rec.Staging), "strays_removed", len(rec.Strays), "uploads_aborted", rec.UploadsAborted)
	}
	if len(rec.Foreign) > 0 {
		l.opts.Logger.Warn("objects the lake did not write are under its folders: left alone (readers that glob the table folders see them)",
			"count", len(rec.Foreign), "first", rec.Foreign[0])
	}
	return rec, nil
}

func keptDir(keep map[string]bool, key string) bool {
	for dir := range keep {
		if strings.HasPrefix(key, dir) {
			return true
		}
	}
	return false
}

// contentMatchesName reports whether a data file's SHA-256 starts with the
// 16 hex digits of its name: proof that a lake wrote it (names derive from
// content). Objects larger than the lake ever writes are not read.
func (l *Lake) contentMatchesName(ctx context.Context, o Object) (bool, error) {
	m := dataKeyRE.FindStringSubmatch(o.Key)
	if m == nil || o.Size > 4<<30 {
		return false, nil
	}
	rc, err := l.b.Get(ctx, o.Key)
	if errors.Is(err, ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer rc.Close()
	h := sha256.New()
	if _, err := io.Copy(h, io.LimitReader(rc, 4<<30+1)); err != nil {
		return false, err
	}
	return hex.EncodeToString(h.Sum(nil))[:16] == m[4], nil
}
