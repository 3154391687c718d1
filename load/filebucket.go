package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// tmpDirName is the folder of a FileBucket's in-flight writes, at the root
// of the location, outside every table folder and hidden from List.
const tmpDirName = ".invoicelake-tmp"

// FileBucket is a Bucket in a local folder. Keys map to files below the
// root; writes go to a temporary file in root/.invoicelake-tmp, are synced,
// then renamed into place, so readers never see a partial object.
type FileBucket struct {
	root string
}

// NewFileBucket opens the folder dir as a bucket. Nothing is created until
// the first write (a dry run leaves no trace), but a dir that exists and is
// not a folder is an error at once.
func NewFileBucket(dir string) (*FileBucket, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("load: open folder %q: %w", dir, err)
	}
	if st, err := os.Stat(abs); err == nil && !st.IsDir() {
		return nil, permanentf("load: open folder %q: not a folder (a lake location names a folder, created if missing)", dir)
	}
	return &FileBucket{root: abs}, nil
}

// Root returns the folder's absolute path.
func (b *FileBucket) Root() string { return b.root }

func (b *FileBucket) String() string { return "file://" + filepath.ToSlash(b.root) }

func (b *FileBucket) path(key string) (string, error) {
	if err := checkKey(key); err != nil {
		return "", err
	}
	if key == tmpDirName || strings.HasPrefix(key, tmpDirName+"/") {
		return "", fmt.Errorf("key %q: reserved folder", key)
	}
	return filepath.Join(b.root, filepath.FromSlash(key)), nil
}

// writeTemp writes r to a synced temporary file and returns its name.
func (b *FileBucket) writeTemp(r io.Reader, size int64) (string, error) {
	if err := os.MkdirAll(filepath.Join(b.root, tmpDirName), 0o755); err != nil {
		return "", err
	}
	f, err := os.CreateTemp(filepath.Join(b.root, tmpDirName), "put-*")
	if err != nil {
		return "", err
	}
	name := f.Name()
	fail := func(err error) (string, error) {
		f.Close()
		os.Remove(name)
		return "", err
	}
	n, err := io.Copy(f, r)
	if err != nil {
		return fail(err)
	}
	if size >= 0 && n != size {
		return fail(fmt.Errorf("got %d bytes, want %d", n, size))
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(name)
		return "", err
	}
	return name, nil
}

// Put implements Bucket.
func (b *FileBucket) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	if err := b.put(ctx, key, r, size); err != nil {
		return fmt.Errorf("load: put %s: %w", key, err)
	}
	return nil
}

func (b *FileBucket) put(ctx context.Context, key string, r io.Reader, size int64) error {
	dst, err := b.path(key)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	tmp, err := b.writeTemp(r, size)
	if err != nil {
		return err
	}
	return b.place(tmp, dst)
}

// place renames tmp to dst, creating dst's folder, and syncs the folder.
func (b *FileBucket) place(tmp, dst string) error {
	dir := filepath.Dir(dst)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, dst); err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, fs.ErrInvalid) {
		return err
	}
	return nil
}

// PutIfAbsent implements Bucket with a hard link, which fails atomically
// when the name exists.
func (b *FileBucket) PutIfAbsent(ctx context.Context, key string, data []byte) error {
	if err := b.putIfAbsent(ctx, key, data); err != nil {
		return fmt.Errorf("load: put if absent %s: %w", key, err)
	}
	return nil
}

func (b *FileBucket) putIfAbsent(ctx context.Context, key string, data []byte) error {
	dst, err := b.path(key)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	tmp, err := b.writeTemp(strings.NewReader(string(data)), int64(len(data)))
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	dir := filepath.Dir(dst)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.Link(tmp, dst); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return ErrExists
		}
		return err
	}
	return syncDir(dir)
}

// Get implements Bucket.
func (b *FileBucket) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	p, err := b.path(key)
	if err != nil {
		return nil, fmt.Errorf("load: get %s: %w", key, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("load: get %s: %w", key, err)
	}
	f, err := os.Open(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("load: get %s: %w", key, ErrNotExist)
		}
		return nil, fmt.Errorf("load: get %s: %w", key, err)
	}
	if st, err := f.Stat(); err != nil || st.IsDir() {
		f.Close()
		return nil, fmt.Errorf("load: get %s: %w", key, ErrNotExist)
	}
	return f, nil
}

// Delete implements Bucket. It also removes folders left empty, up to the
// root, so a deleted partition leaves no empty folder behind.
func (b *FileBucket) Delete(ctx context.Context, key string) error {
	p, err := b.path(key)
	if err != nil {
		return fmt.Errorf("load: delete %s: %w", key, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("load: delete %s: %w", key, err)
	}
	if st, err := os.Lstat(p); err == nil && st.IsDir() {
		return nil // a folder is not an object
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("load: delete %s: %w", key, err)
	}
	for dir := filepath.Dir(p); dir != b.root && strings.HasPrefix(dir, b.root); dir = filepath.Dir(dir) {
		if os.Remove(dir) != nil { // not empty (or gone): stop
			break
		}
	}
	return nil
}

// Copy implements Copier with a hard link renamed into place.
func (b *FileBucket) Copy(ctx context.Context, src, dst string) error {
	if err := b.copy(ctx, src, dst); err != nil {
		return fmt.Errorf("load: copy %s to %s: %w", src, dst, err)
	}
	return nil
}

func (b *FileBucket) copy(ctx context.Context, src, dst string) error {
	sp, err := b.path(src)
	if err != nil {
		return err
	}
	dp, err := b.path(dst)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(b.root, tmpDirName), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Join(b.root, tmpDirName), "copy-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	f.Close()
	os.Remove(tmp)
	if err := os.Link(sp, tmp); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return ErrNotExist
		}
		// No hard links here: copy the bytes.
		in, err := os.Open(sp)
		if err != nil {
			return err
		}
		defer in.Close()
		tmp, err = b.writeTemp(in, -1)
		if err != nil {
			return err
		}
	}
	return b.place(tmp, dp)
}

// List implements Bucket. It walks the folders the prefix can match,
// collects the matching keys and yields them sorted (walk order is not key
// order: "a/b-c" sorts before "a/b/c").
func (b *FileBucket) List(ctx context.Context, prefix string) iter.Seq2[Object, error] {
	return func(yield func(Object, error) bool) {
		objs, err := b.list(ctx, prefix)
		if err != nil {
			yield(Object{}, fmt.Errorf("load: list %q: %w", prefix, err))
			return
		}
		for _, o := range objs {
			if !yield(o, nil) {
				return
			}
		}
	}
}

func (b *FileBucket) list(ctx context.Context, prefix string) ([]Object, error) {
	if strings.Contains(prefix, "\\") || strings.HasPrefix(prefix, "/") {
		return nil, fmt.Errorf("prefix %q: want a path-shaped prefix", prefix)
	}
	// Start at the deepest folder every match lies in.
	start := b.root
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		dir := prefix[:i]
		if checkKey(dir) != nil {
			return nil, fmt.Errorf("prefix %q: empty, . or .. segment", prefix)
		}
		start = filepath.Join(b.root, filepath.FromSlash(dir))
	}
	var out []Object
	err := filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // vanished, or the prefix's folder does not exist
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(b.root, p)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if d.IsDir() {
			if key == tmpDirName {
				return filepath.SkipDir
			}
			// Prune folders that cannot hold a match.
			if key != "." && !strings.HasPrefix(key+"/", prefix) && !strings.HasPrefix(prefix, key+"/") &&
				!strings.HasPrefix(key, prefix) {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || !strings.HasPrefix(key, prefix) {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		out = append(out, Object{Key: key, Size: info.Size()})
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b Object) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}
