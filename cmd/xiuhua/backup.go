package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/xiuhua/xiuhua/internal/store"
)

// manifest describes a backup folder.
type manifest struct {
	CreatedAt time.Time     `json:"created_at"`
	Source    string        `json:"source"`
	SHA256    string        `json:"sha256"` // of xiuhua.db
	Summary   store.Summary `json:"summary"`
}

// runBackup copies a running SQLite system — its database and its photos —
// into a new folder.
func runBackup(ctx context.Context, args []string) error {
	var out string
	c, st, err := parseOpen(ctx, "backup", args, func(fs *flag.FlagSet) {
		fs.StringVar(&out, "o", "", "the backup folder to create (must not exist)")
	})
	if err != nil {
		return err
	}
	defer st.Close()
	if out == "" {
		return fmt.Errorf("backup: name the folder to create with -o")
	}
	if c.DatabaseURL != "" {
		return fmt.Errorf("backup: for PostgreSQL use pg_dump -Fc (see the README), and copy the data directory's photos")
	}
	if _, err := os.Stat(out); err == nil {
		return fmt.Errorf("backup: %s already exists", out)
	}
	if err := os.MkdirAll(out, 0o750); err != nil {
		return err
	}
	start := time.Now()
	db := filepath.Join(out, "xiuhua.db")
	if err := st.Backup(ctx, db); err != nil {
		return err
	}
	photos := filepath.Join(c.DataDir, "photos")
	if _, err := os.Stat(photos); err == nil {
		if err := copyTree(photos, filepath.Join(out, "photos")); err != nil {
			return fmt.Errorf("backup: photos: %w", err)
		}
	}
	// The summary is of the copy, not of the live database.
	copyStore, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		return err
	}
	sum, err := copyStore.Summarize(ctx)
	copyStore.Close()
	if err != nil {
		return err
	}
	hash, err := fileSHA256(db)
	if err != nil {
		return err
	}
	m := manifest{CreatedAt: time.Now().UTC(), Source: c.Target(), SHA256: hash, Summary: sum}
	b, _ := json.MarshalIndent(m, "", "  ")
	if err := os.WriteFile(filepath.Join(out, "backup.json"), b, 0o640); err != nil {
		return err
	}
	info, _ := os.Stat(db)
	fmt.Printf("backed up %d cases and %d events to %s (%d MB) in %s\n", sum.Cases, sum.Events, out, info.Size()>>20,
		time.Since(start).Round(100*time.Millisecond))
	return nil
}

// runRestore puts a backup folder into an empty data directory.
func runRestore(ctx context.Context, args []string) error {
	pos, rest := positional(args)
	if len(pos) != 1 {
		return fmt.Errorf("usage: xiuhua restore BACKUP-FOLDER -data NEW-DATA-DIR")
	}
	c, _, err := parse("restore", rest, nil)
	if err != nil {
		return err
	}
	if c.DatabaseURL != "" {
		return fmt.Errorf("restore: for PostgreSQL use pg_restore (see the README)")
	}
	var m manifest
	b, err := os.ReadFile(filepath.Join(pos[0], "backup.json"))
	if err != nil {
		return fmt.Errorf("restore: %s is not a backup folder: %w", pos[0], err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("restore: backup.json: %w", err)
	}
	src := filepath.Join(pos[0], "xiuhua.db")
	if hash, err := fileSHA256(src); err != nil || hash != m.SHA256 {
		return fmt.Errorf("restore: %s does not match its checksum; the backup is damaged", src)
	}
	dst := c.Target()
	if _, err := os.Stat(dst); err == nil {
		return fmt.Errorf("restore: %s already holds a database; restore into an empty data directory", c.DataDir)
	}
	if err := os.MkdirAll(c.DataDir, 0o750); err != nil {
		return err
	}
	if err := copyFile(src, dst); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(pos[0], "photos")); err == nil {
		if err := copyTree(filepath.Join(pos[0], "photos"), filepath.Join(c.DataDir, "photos")); err != nil {
			return err
		}
	}
	st, err := open(ctx, c) // migrates an older backup forward
	if err != nil {
		return err
	}
	defer st.Close()
	sum, err := st.Summarize(ctx)
	if err != nil {
		return err
	}
	if sum != m.Summary {
		return fmt.Errorf("restore: the restored database holds %+v, the backup said %+v", sum, m.Summary)
	}
	fmt.Printf("restored %d cases and %d events from %s (backed up %s) into %s\n", sum.Cases, sum.Events, pos[0],
		m.CreatedAt.Format(time.RFC3339), c.DataDir)
	return nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o640)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o750)
		}
		return copyFile(p, target)
	})
}
