package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
)

// Group commit (SQLite).
//
// SQLite has one writer, and with synchronous=FULL every commit waits for
// the disk. Write transactions that arrive while one is running are
// therefore gathered and run one after another inside a single
// transaction, each in its own savepoint, and committed together: one
// wait for the disk for the lot. A transaction whose function fails is
// rolled back to its savepoint and does not disturb the others; if the
// commit fails, every one of them gets the error. No caller hears
// success before its writes are on disk.

// maxGroup bounds the transactions committed together.
const maxGroup = 64

type txReq struct {
	ctx  context.Context
	fn   func(*wtx) error
	done chan error
}

// errClosed is returned by writes after Close.
var errClosed = errors.New("store: closed")

// startGroupCommit starts the committer.
func (s *Store) startGroupCommit() {
	s.txq = make(chan *txReq)
	s.quit = make(chan struct{})
	s.stopped = make(chan struct{})
	go s.committer()
}

func (s *Store) committer() {
	defer close(s.stopped)
	for {
		var first *txReq
		select {
		case first = <-s.txq:
		case <-s.quit:
			return
		}
		group := []*txReq{first}
	gather:
		for len(group) < maxGroup {
			select {
			case r := <-s.txq:
				group = append(group, r)
			default:
				break gather
			}
		}
		s.commitGroup(group)
		s.prepareMissed(context.Background())
	}
}

// groupTx runs fn in the next group commit and waits for the outcome.
func (s *Store) groupTx(ctx context.Context, fn func(*wtx) error) error {
	r := &txReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case s.txq <- r:
	case <-ctx.Done():
		return ctx.Err()
	case <-s.quit:
		return errClosed
	}
	// Once queued, the outcome is waited for even if ctx ends: the writes
	// may be committed.
	return <-r.done
}

// GroupStats says how many write transactions were committed and in how
// many commits.
func (s *Store) GroupStats() (txs, commits int64) { return s.groupTxs.Load(), s.groupCommits.Load() }

func (s *Store) commitGroup(group []*txReq) {
	s.groupTxs.Add(int64(len(group)))
	s.groupCommits.Add(1)
	if len(group) == 1 {
		r := group[0]
		if err := r.ctx.Err(); err != nil {
			r.done <- err
			return
		}
		r.done <- s.plainTx(context.WithoutCancel(r.ctx), func(tx *wtx) error { return safely(r.fn, tx) })
		return
	}
	results := make([]error, len(group))
	defer func() {
		for i, r := range group {
			r.done <- results[i]
		}
	}()
	tx, err := s.w.BeginTx(context.Background(), nil)
	if err != nil {
		for i := range results {
			results[i] = err
		}
		return
	}
	var ok []int // members whose writes are in the transaction
	// abort gives err to every member not yet refused on its own: nothing
	// of the group is committed.
	abort := func(from int, err error) {
		_ = tx.Rollback()
		err = fmt.Errorf("store: group commit: %w", err)
		for _, i := range ok {
			results[i] = err
		}
		for i := from; i < len(group); i++ {
			if results[i] == nil {
				results[i] = err
			}
		}
	}
	for i, r := range group {
		if err := r.ctx.Err(); err != nil {
			results[i] = err
			continue
		}
		if _, err := tx.Exec(`SAVEPOINT g`); err != nil {
			abort(i, err)
			return
		}
		if err := safely(r.fn, &wtx{Tx: tx, s: s}); err != nil {
			results[i] = err
			if _, err := tx.Exec(`ROLLBACK TO g`); err != nil {
				abort(i+1, err)
				return
			}
		} else {
			ok = append(ok, i)
		}
		if _, err := tx.Exec(`RELEASE g`); err != nil {
			abort(i+1, err)
			return
		}
	}
	if err := tx.Commit(); err != nil {
		for _, i := range ok {
			results[i] = err
		}
	}
}

// safely runs fn, turning a panic into its error: the committer serves
// every writer, and one bad transaction must not take the process down.
func safely(fn func(*wtx) error, tx *wtx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("store: write transaction panicked: %v", p)
			slog.Error("store: write transaction panicked", "panic", p, "stack", string(debug.Stack()))
		}
	}()
	return fn(tx)
}
