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
// files of uploads cut off before before; it returns how many photos it
// deleted. since may be zero (all).
func (d Dir) Expire(ctx context.Context, since, before time.Time, used func(context.Context, string) (bool, error)) (int, error) {
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

// ExpireEvery runs Expire every period until ctx ends, deleting orphans
// older than maxAge. The first run looks at every photo; later ones only
// at the photos that have come of age since (with an hour's overlap), as
// a photo a case named once stays named.
func (d Dir) ExpireEvery(ctx context.Context, maxAge, every time.Duration, used func(context.Context, string) (bool, error)) {
	var since time.Time
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		before := time.Now().Add(-maxAge)
		n, err := d.Expire(ctx, since, before, used)
		switch {
		case err != nil && ctx.Err() == nil:
			slog.Error("photos: expiring orphan uploads", "err", err)
		case err == nil:
			since = before.Add(-time.Hour)
			if n > 0 {
				slog.Info("photos: deleted uploads no case names", "photos", n, "older_than", maxAge)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
