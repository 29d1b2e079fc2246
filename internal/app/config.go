package app

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// The parts of the configuration every instance holds in memory. A change
// to one is recorded (ConfigChanged), and every instance reloads the part
// when it sees the record (FollowConfig).
const (
	ConfigPolicy = "policy" // time limits and the working calendar
	ConfigRoutes = "routes" // the dispatch table, units and categories
	ConfigPlaces = "places" // the grid layer
)

var configParts = []string{ConfigPolicy, ConfigRoutes, ConfigPlaces}

// reload loads one part of the configuration from the store.
func (a *App) reload(ctx context.Context, part string) error {
	switch part {
	case ConfigPolicy:
		return a.ReloadPolicy(ctx)
	case ConfigRoutes:
		return a.ReloadRoutes(ctx)
	case ConfigPlaces:
		return a.ReloadPlaces(ctx)
	}
	return fmt.Errorf("app: unknown configuration part %q", part)
}

// ConfigChanged records that part changed and reloads it here; the other
// instances reload it when FollowConfig next looks.
func (a *App) ConfigChanged(ctx context.Context, part string) error {
	if err := a.Store.BumpConfig(ctx, part, a.Now()); err != nil {
		return err
	}
	return a.reload(ctx, part)
}

// FollowConfig polls the configuration's counters every interval until ctx
// ends, and reloads each part whose counter moved since it was loaded here.
// Every fullEvery it reloads everything anyway, so a change whose record
// was lost (the process died between the change and the record) still
// arrives.
func (a *App) FollowConfig(ctx context.Context, every, fullEvery time.Duration) {
	// Counted from what New read before loading, so a change made while
	// this instance started is reloaded on the first look.
	seen := map[string]int64{}
	for part, g := range a.loadedGens {
		seen[part] = g
	}
	t := time.NewTicker(every)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		full := fullEvery > 0 && time.Since(last) >= fullEvery
		if full {
			last = time.Now()
		}
		gens, err := a.Store.ConfigGenerations(ctx)
		if err != nil {
			if ctx.Err() == nil {
				slog.Warn("reading the configuration counters", "err", err)
			}
			continue
		}
		for _, part := range configParts {
			if !full && gens[part] == seen[part] {
				continue
			}
			if err := a.reload(ctx, part); err != nil {
				if ctx.Err() == nil {
					slog.Error("reloading the configuration", "part", part, "err", err)
				}
				continue
			}
			if gens[part] != seen[part] {
				slog.Info("configuration changed on another instance: reloaded", "part", part, "generation", gens[part])
			}
			seen[part] = gens[part]
		}
	}
}
