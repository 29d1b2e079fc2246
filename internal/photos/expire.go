package photos

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Orphan uploads: a photo is uploaded first and named in a report or an
// action after; one that no case names (a report abandoned, or uploads
// sent only to fill the disk) is deleted once it is older than the
// expiry. A photo a case names is never deleted: the store's photo
// references, written in the event's transaction, say which.

// Expire deletes the photos whose original was written in [since, before)
// and that used says no case names, with their copies, and the temporary
// files of uploads cut off before before (received or written); it returns
// how many photos it deleted. since may be zero (all).
func (d Dir) Expire(ctx context.Context, since, before time.Time, used func(context.Context, string) (bool, error)) (int, error) {
	// Uploads being received left behind by a crash.
	if es, err := os.ReadDir(filepath.Join(string(d), incoming)); err == nil {
		for _, e := range es {
			if info, err := e.Info(); err == nil && info.ModTime().Before(before) {
				os.Remove(filepath.Join(string(d), incoming, e.Name()))
			}
		}
	}
	n := 0
	err := filepath.WalkDir(filepath.Join(string(d), "original"), func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if e.IsDir() {
			return nil
		}
		info, err := e.Info()
		if err != nil {
			return nil // gone meanwhile
		}
		at := info.ModTime()
		if !at.Before(before) || at.Before(since) {
			return nil
		}
		if strings.HasPrefix(e.Name(), ".up-") { // an upload cut off mid-write
			os.Remove(path)
			return nil
		}
		id := e.Name()
		if !ValidID(id) {
			return nil
		}
		inUse, err := used(ctx, id)
		if err != nil || inUse {
			return err
		}
		for _, key := range []string{publicKey(id), thumbKey(id), originalKey(id)} {
			if err := os.Remove(filepath.Join(string(d), filepath.FromSlash(key))); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
		n++
		return nil
	})
	return n, err
}

// checkedKey holds the time up to which uploads have been checked, so that
// a restart does not look up every photo again.
const checkedKey = ".orphans-checked"

// ExpireOrphans deletes the orphans older than maxAge among the photos
// that have come of age since its last run on this directory (with an
// hour's overlap; all of them the first time), as a photo a case named once
// stays named. It returns how many it deleted.
func (d Dir) ExpireOrphans(ctx context.Context, maxAge time.Duration, used func(context.Context, string) (bool, error)) (int, error) {
	var since time.Time
	if b, err := d.Get(ctx, checkedKey); err == nil {
		if at, err := time.Parse(time.RFC3339, strings.TrimSpace(string(b))); err == nil {
			since = at.Add(-time.Hour)
		}
	}
	before := time.Now().Add(-maxAge)
	n, err := d.Expire(ctx, since, before, used)
	if err != nil {
		return n, err
	}
	return n, d.Put(ctx, checkedKey, []byte(before.UTC().Format(time.RFC3339)))
}

// ExpireEvery runs ExpireOrphans every period until ctx ends.
func (d Dir) ExpireEvery(ctx context.Context, maxAge, every time.Duration, used func(context.Context, string) (bool, error)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		n, err := d.ExpireOrphans(ctx, maxAge, used)
		switch {
		case err != nil && ctx.Err() == nil:
			slog.Error("photos: expiring orphan uploads", "err", err)
		case n > 0:
			slog.Info("photos: deleted uploads no case names", "photos", n, "older_than", maxAge)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
