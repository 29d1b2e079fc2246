// Command xiuhua is the whole system in one binary: the server, a ready
// Pingcheng demo, importers and maintenance commands.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"path/filepath"
	runtimepprof "runtime/pprof"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/catalog"
	"github.com/xiuhua/xiuhua/internal/config"
	"github.com/xiuhua/xiuhua/internal/deadline"
	"github.com/xiuhua/xiuhua/internal/demo"
	"github.com/xiuhua/xiuhua/internal/ledger"
	"github.com/xiuhua/xiuhua/internal/metrics"
	"github.com/xiuhua/xiuhua/internal/notify/channel"
	"github.com/xiuhua/xiuhua/internal/photos"
	"github.com/xiuhua/xiuhua/internal/places"
	"github.com/xiuhua/xiuhua/internal/routing"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/watch"
	"github.com/xiuhua/xiuhua/internal/web"
)

const usage = `xiuhua — fine-grained city management (绣花)

Usage:
  xiuhua demo   [flags]            build a Pingcheng demo (if the data directory is empty) and serve it
  xiuhua serve  [flags]            serve an existing database
  xiuhua import divisions FILE     import a divisions CSV (code,name,level,parent_code)
  xiuhua import catalog FILE       import a catalog CSV (code,kind,major_class,name[,department])
  xiuhua import outline FILE       lay unit grids over a district outline (GeoJSON, WGS84)
  xiuhua import grids FILE [-from YYYY-MM-DD]   a redrawn grid layer (GeoJSON: code, grid, community, street)
  xiuhua export grids [-at YYYY-MM-DD]         the grid layer valid at a date, as GeoJSON on stdout
  xiuhua import ledger FILE [-map …] [-preview]   an existing spreadsheet ledger (.xlsx or .csv), all or nothing
  xiuhua evaluate -group G -period P [-publish] [-o FILE.xlsx|.csv]   综合评价 (department, street, community, worker)
  xiuhua import dispatch FILE      replace the dispatch table (category,area,ownership,lead,assist,note)
  xiuhua dispatch list|add|delete  edit the dispatch table one rule at a time
  xiuhua route -lon X -lat Y -category ID   which rule and department a report there would get
  xiuhua calendar days|set|unset|add|holidays|import        local days off, holiday files; try a deadline
  xiuhua webhook add|list|deliveries|replay|pause|resume   webhook subscribers and deliveries
  xiuhua admin create -username NAME   the first administrator (password from $XIUHUA_PASSWORD or stdin)
  xiuhua token create -user NAME -name LABEL [-scope screen] | revoke ID API tokens for integrations
  xiuhua load -url URL -token T -mode create|read [-rate N] [-clients N] [-for 30s]   load generator (loopback only)
  xiuhua backup -o FOLDER          a consistent copy of a running SQLite system (database and photos)
  xiuhua restore FOLDER -data DIR  a backup into an empty data directory, checked
  xiuhua migrate [flags]           bring the schema up to date
  xiuhua config                    print the settings table (Markdown)

Run "xiuhua COMMAND -h" for the flags of a command.
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// XIUHUA_CPUPROFILE=FILE profiles any command (for BENCHMARKS.md work).
	if path := os.Getenv("XIUHUA_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil {
			if runtimepprof.StartCPUProfile(f) == nil {
				defer runtimepprof.StopCPUProfile()
			}
		}
	}
	var err error
	switch os.Args[1] {
	case "demo":
		err = runDemo(ctx, os.Args[2:])
	case "serve":
		err = runServe(ctx, os.Args[2:])
	case "import":
		err = runImport(ctx, os.Args[2:])
	case "migrate":
		err = runMigrate(ctx, os.Args[2:])
	case "webhook":
		err = runWebhook(ctx, os.Args[2:])
	case "calendar":
		err = runCalendar(ctx, os.Args[2:])
	case "route":
		err = runRoute(ctx, os.Args[2:])
	case "export":
		err = runExport(ctx, os.Args[2:])
	case "dispatch":
		err = runDispatch(ctx, os.Args[2:])
	case "evaluate":
		err = runEvaluate(ctx, os.Args[2:])
	case "backup":
		err = runBackup(ctx, os.Args[2:])
	case "admin":
		err = runAdmin(ctx, os.Args[2:])
	case "load":
		err = runLoad(ctx, os.Args[2:])
	case "token":
		err = runToken(ctx, os.Args[2:])
	case "restore":
		err = runRestore(ctx, os.Args[2:])
	case "config":
		fmt.Print(config.Markdown())
	case "-h", "--help", "help":
		fmt.Print(usage)
	default:
		fmt.Fprintf(os.Stderr, "xiuhua: unknown command %q\n\n%s", os.Args[1], usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "xiuhua:", err)
		os.Exit(1)
	}
}

func parse(name string, args []string, extra func(*flag.FlagSet)) (*config.Config, *flag.FlagSet, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	c := &config.Config{}
	if err := config.Register(fs, c); err != nil {
		return nil, nil, err
	}
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		return nil, nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, nil, err
	}
	setupLog(c)
	return c, fs, nil
}

func setupLog(c *config.Config) {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(c.LogLevel))
	opts := &slog.HandlerOptions{Level: lvl}
	var h slog.Handler = slog.NewTextHandler(os.Stderr, opts)
	if c.LogFormat == "json" {
		h = slog.NewJSONHandler(os.Stderr, opts)
	}
	slog.SetDefault(slog.New(h))
}

func open(ctx context.Context, c *config.Config) (*store.Store, error) {
	st, err := store.Open(ctx, c.Target(), store.Options{Synchronous: c.Synchronous})
	if err != nil {
		return nil, err
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

// newApp builds the application with the calendar and alert settings.
func newApp(ctx context.Context, c *config.Config, st *store.Store) (*app.App, error) {
	return app.New(ctx, st, app.Config{Hours: c.WorkHours, SummerHours: c.SummerHours, Summer: c.SummerDates,
		Alerts:  deadline.Alerts{WarnShare: c.Watch.WarnShare, WarnBefore: c.Watch.WarnBefore, EscalateAfter: c.Watch.EscalateAfter},
		Hotline: ledger.HotlineRules{SatisfiedOnly: c.Satisfaction == "satisfied-only"}})
}

// positional splits the words before the first flag from the flags.
func positional(args []string) (pos, rest []string) {
	for len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		pos, args = append(pos, args[0]), args[1:]
	}
	return pos, args
}

// parseOpen parses a command's flags and opens its migrated store.
func parseOpen(ctx context.Context, name string, args []string, extra func(*flag.FlagSet)) (*config.Config, *store.Store, error) {
	c, _, err := parse(name, args, extra)
	if err != nil {
		return nil, nil, err
	}
	st, err := open(ctx, c)
	return c, st, err
}

func runMigrate(ctx context.Context, args []string) error {
	_, st, err := parseOpen(ctx, "migrate", args, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	fmt.Println("schema is current")
	return nil
}

func runDemo(ctx context.Context, args []string) error {
	var cases, cameras int
	var seed uint64
	var fresh, noServe bool
	c, _, err := parse("demo", args, func(fs *flag.FlagSet) {
		fs.IntVar(&cases, "cases", 60_000, "simulated cases over the year (10,000,000 and more for benchmarks)")
		fs.Uint64Var(&seed, "seed", 1, "random seed: the same seed builds the same city")
		fs.BoolVar(&fresh, "fresh", false, "delete the demo database in the data directory first (SQLite only)")
		fs.BoolVar(&noServe, "no-serve", false, "build the demo and exit")
		fs.IntVar(&cameras, "cameras", -1, "cameras over the old town with a month of alarms (default: 40 from 10,000 cases, none for a smaller city)")
	})
	if err != nil {
		return err
	}
	if cases < 0 {
		return fmt.Errorf("-cases must not be negative")
	}
	if fresh {
		if c.DatabaseURL != "" {
			return fmt.Errorf("-fresh only deletes a SQLite demo; empty a PostgreSQL database yourself")
		}
		for _, suf := range []string{"", "-wal", "-shm"} {
			if err := os.Remove(c.Target() + suf); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
	}
	st, err := open(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	counts, err := st.CountCases(ctx)
	if err != nil {
		return err
	}
	var logins []demo.Login
	if len(counts) == 0 {
		start := time.Now()
		fmt.Printf("Building the Pingcheng demo with %d simulated cases in %s …\n", cases, c.Target())
		res, err := demo.Build(ctx, st, demo.Options{Cases: cases, Seed: seed, Photos: photos.Dir(filepath.Join(c.DataDir, "photos"))})
		if err != nil {
			return err
		}
		fmt.Printf("Built in %s: %d streets, %d communities, %d grids, %d unit grids, %d categories, %d cases.\n",
			time.Since(start).Round(100*time.Millisecond), res.Streets, res.Coms, res.Grids, res.UnitGrids, res.Categories, res.Cases)
		if cameras < 0 && cases >= 10_000 {
			cameras = 40
		}
		if cameras > 0 {
			a, err := newApp(ctx, c, st)
			if err != nil {
				return err
			}
			a.Photos = photos.Dir(filepath.Join(c.DataDir, "photos"))
			// The month's alarms scale with the demo: 150 a day at the
			// default 60,000 cases, at most 300.
			cams, err := demo.Cameras(ctx, a, demo.CameraOptions{Cameras: cameras, Seed: seed, PerDay: min(300, max(20, 150*cases/60_000))})
			if err != nil {
				return err
			}
			fmt.Printf("Camera network over the old town: %d cameras, %d alarms in 30 days, %d reviewed at %.0f%% precision.\n",
				cams.Cameras, cams.Alarms, cams.Reviewed, 100*cams.Precision)
		}
		logins = res.Logins
	} else {
		fmt.Printf("Using the existing demo in %s (run with -fresh to rebuild).\n", c.Target())
		if logins, err = demo.Logins(ctx, st); err != nil {
			return err
		}
	}
	if noServe {
		return nil
	}
	return serve(ctx, c, st, func(url string) {
		fmt.Printf("\nDemo logins (password %q):\n", demo.Password)
		for _, l := range logins {
			fmt.Printf("  %-20s %-12s %s — %s\n", l.Username, l.Role, l.Unit, l.Note)
		}
		fmt.Printf("\nXiuhua is running at %s (Ctrl+C stops it)\n", url)
		fmt.Printf("  staff app 工作台: %sapp    public board 问题挂牌: %sboard\n", url, url)
	})
}

func runServe(ctx context.Context, args []string) error {
	c, _, err := parse("serve", args, nil)
	if err != nil {
		return err
	}
	st, err := open(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	return serve(ctx, c, st, func(url string) { fmt.Printf("Xiuhua is running at %s\n", url) })
}

// configPoll is how often a server looks for configuration changed
// elsewhere (one small query).
const configPoll = 2 * time.Second

func serve(ctx context.Context, c *config.Config, st *store.Store, ready func(url string)) error {
	a, err := newApp(ctx, c, st)
	if err != nil {
		return err
	}
	photoDir := photos.Dir(filepath.Join(c.DataDir, "photos"))
	a.Photos = photoDir
	if a.Index().Len() == 0 {
		slog.Warn("no grid layer: reports cannot be placed until one is imported (xiuhua import outline FILE)")
	}
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return err
	}
	var handler http.Handler = web.New(a, web.WithTiles(c.TileURL), web.WithMaxInFlight(c.InFlight, 100*time.Millisecond),
		web.WithTrustedProxies(strings.Split(c.Proxies, ",")), web.WithReadCache(c.CacheReads), web.WithPublicURL(c.PublicURL), web.WithAlerts(c.Alerts()),
		web.WithLimits(web.Limits{PublicReads: c.Rates.PublicReads, PublicWrites: c.Rates.PublicWrites, StaffWrites: c.Rates.StaffWrites, Uploads: c.Rates.Uploads, SignIns: c.Rates.SignIns}))
	var mt *metrics.Metrics
	if c.MetricsAddr != "" {
		mt = metrics.New(st, a.Now)
		handler = mt.Middleware(handler)
		mln, err := net.Listen("tcp", c.MetricsAddr)
		if err != nil {
			return fmt.Errorf("-metrics-addr: %w", err)
		}
		// The profiler shares the private metrics address.
		mmux := http.NewServeMux()
		mmux.Handle("/metrics", mt.Handler())
		mmux.HandleFunc("/debug/pprof/", pprof.Index)
		mmux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mmux.HandleFunc("/debug/pprof/trace", pprof.Trace)
		msrv := &http.Server{Handler: mmux, ReadHeaderTimeout: 10 * time.Second}
		go msrv.Serve(mln)
		defer msrv.Close()
		slog.Info("metrics", "url", "http://"+mln.Addr().String()+"/metrics")
	}
	// Background work: the deadline watcher and the pruner (one instance
	// at a time, by lease) and webhook delivery (every instance, by claims).
	bg, stopBG := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { stopBG(); wg.Wait() }()
	host, _ := os.Hostname()
	watcher := &watch.Watcher{Store: st, Clock: a.Policy, Now: a.Now, Lease: c.Watch.Lease,
		Holder: fmt.Sprintf("%s/%d/%d", host, os.Getpid(), time.Now().UnixNano())}
	deliverer := &watch.Deliverer{Store: st, Now: a.Now}
	mailCh, smsCh, err := channels(c)
	if err != nil {
		return err
	}
	a.Ladder = &c.Ladder
	a.Channels = map[string]channel.Described{}
	for k, ch := range map[string]channel.Channel{channel.KindMail: mailCh, channel.KindSMS: smsCh} {
		if d, ok := ch.(channel.Described); ok && ch != nil {
			a.Channels[k] = d
		}
	}
	messenger := &watch.Messenger{Store: st, Calendar: a.Policy.Calendar, Ladder: c.Ladder, Mail: mailCh, SMS: smsCh,
		SMSTemplate: c.SMSTemplate, Now: a.Now}
	if c.PublicURL != "" {
		messenger.Follow = func(n string) string { return web.FollowURL(strings.TrimRight(c.PublicURL, "/"), n) }
	}
	if mt != nil {
		watcher.OnSweep, deliverer.OnAttempt = mt.Sweep, mt.Delivery
	}
	pruner := &watch.Pruner{Store: st, Keep: watch.Retention(c.Retention), Now: a.Now, Holder: watcher.Holder, Lease: 10 * time.Minute}
	wg.Add(6)
	// Configuration changed on another instance (or by the CLI) reaches
	// this one within configPoll; everything is reloaded every 5 minutes.
	go func() { defer wg.Done(); a.FollowConfig(bg, configPoll, 5*time.Minute) }()
	go func() { defer wg.Done(); watcher.Run(bg, c.Watch.Every) }()
	go func() { defer wg.Done(); deliverer.Run(bg, min(c.Watch.Every, time.Second)) }()
	// Notifications through SMS, mail and group robots (every instance,
	// by claims).
	go func() { defer wg.Done(); messenger.Run(bg, min(c.Watch.Every, 5*time.Second)) }()
	// Rows that only grow lose what -retention no longer keeps.
	go func() { defer wg.Done(); pruner.Run(bg, c.Prune) }()
	// Residents' area alerts: matching by lease, mails by claims.
	if c.Alerts() {
		alerter := &watch.Alerter{Store: st, Mailer: mailCh, Writer: web.NewMailWriter(a, c.PublicURL), Now: a.Now,
			Holder: watcher.Holder, Lease: c.Watch.Lease}
		if mt != nil {
			alerter.OnMail = mt.AlertMail
		}
		wg.Add(1)
		go func() { defer wg.Done(); alerter.Run(bg, c.Watch.Every) }()
	} else {
		slog.Info("residents' area alerts are off: they need -smtp-host and an https -public-url")
	}
	// Uploads no case names are deleted after -orphan-photos, by every
	// instance from the photos it holds (deleting twice is harmless).
	go func() {
		defer wg.Done()
		photoDir.ExpireEvery(bg, c.OrphanPhotos, min(c.OrphanPhotos/4, time.Hour), st.PhotoInUse)
	}()
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	ready("http://" + ln.Addr().String() + "/")
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	slog.Info("shutting down: finishing requests in flight")
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err = srv.Shutdown(sctx)
	stopBG()
	wg.Wait()
	return err
}

func runImport(ctx context.Context, args []string) error {
	if len(args) < 2 {
		return fmt.Errorf("usage: xiuhua import divisions|catalog|outline|grids|dispatch|ledger FILE [flags]")
	}
	kind, file := args[0], args[1]
	var validFrom, mapping string
	var preview bool
	c, _, err := parse("import", args[2:], func(fs *flag.FlagSet) {
		fs.StringVar(&validFrom, "from", "", "grids: the date the layer takes effect, YYYY-MM-DD (default now)")
		fs.StringVar(&mapping, "map", "", "ledger: columns by field, e.g. number=编号,category=问题类型 (see xiuhua import -h)")
		fs.BoolVar(&preview, "preview", false, "ledger: check every row and show the first ones, import nothing")
	})
	if err != nil {
		return err
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	st, err := open(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	switch kind {
	case "divisions":
		ds, err := places.ParseDivisions(bytes.NewReader(b))
		if err != nil {
			return fmt.Errorf("%s: %w", filepath.Base(file), err)
		}
		if err := st.SaveDivisions(ctx, ds); err != nil {
			return err
		}
		fmt.Printf("imported %d divisions\n", len(ds))
	case "catalog":
		cs, err := catalog.Parse(bytes.NewReader(b))
		if err != nil {
			return fmt.Errorf("%s: %w", filepath.Base(file), err)
		}
		if err := st.SaveCategories(ctx, cs); err != nil {
			return err
		}
		if err := st.BumpConfig(ctx, app.ConfigRoutes, time.Now()); err != nil {
			return err
		}
		fmt.Printf("imported %d categories\n", len(cs))
	case "outline":
		outline, err := places.ParseOutline(b)
		if err != nil {
			return fmt.Errorf("%s: %w", filepath.Base(file), err)
		}
		divs, err := st.Divisions(ctx)
		if err != nil {
			return err
		}
		from := time.Now().UTC()
		lay, err := places.GenerateLayout(outline, divs, places.LayoutOptions{Seed: 1, ValidFrom: from})
		if err != nil {
			return err
		}
		if err := st.SaveLayer(ctx, lay.Grids, lay.Units, from); err != nil {
			return err
		}
		if err := st.BumpConfig(ctx, app.ConfigPlaces, time.Now()); err != nil {
			return err
		}
		fmt.Printf("laid %d unit grids in %d grids, valid from %s\n", len(lay.Units), len(lay.Grids), from.Format(time.RFC3339))
	case "grids":
		from := time.Now().UTC()
		if validFrom != "" {
			if from, err = time.ParseInLocation("2006-01-02", validFrom, calendar.Shanghai); err != nil {
				return fmt.Errorf("-from %q: want YYYY-MM-DD", validFrom)
			}
		}
		grids, units, err := app.ParseGrids(ctx, st, b, from)
		if err != nil {
			return fmt.Errorf("%s: %w", filepath.Base(file), err)
		}
		if err := st.SaveLayer(ctx, grids, units, from); err != nil {
			return err
		}
		if err := st.BumpConfig(ctx, app.ConfigPlaces, time.Now()); err != nil {
			return err
		}
		fmt.Printf("imported %d unit grids in %d grids, valid from %s; cases keep the places they were filed in\n",
			len(units), len(grids), from.In(calendar.Shanghai).Format("2006-01-02 15:04"))
	case "ledger":
		m, err := ledger.ParseMapping(mapping)
		if err != nil {
			return err
		}
		a, err := newApp(ctx, c, st)
		if err != nil {
			return err
		}
		res, err := a.ImportLedger(ctx, file, bytes.NewReader(b), m, !preview)
		if err != nil {
			return fmt.Errorf("%s: %w", filepath.Base(file), err)
		}
		for _, r := range res.Sample {
			fmt.Printf("line %d\t%s\t%s\t%s\t%s\n", r.Line, r.Number, r.Category, r.ReportedAt.In(calendar.Shanghai).Format("2006-01-02 15:04"), r.Description)
		}
		if preview {
			fmt.Printf("%d rows are fine; nothing imported (run without -preview to import)\n", res.Rows)
		} else {
			fmt.Printf("imported %d cases with their original numbers and times\n", res.Imported)
		}
	case "dispatch":
		rules, err := routing.ParseCSV(bytes.NewReader(b))
		if err != nil {
			return fmt.Errorf("%s: %w", filepath.Base(file), err)
		}
		k, err := app.Known(ctx, st, time.Now())
		if err != nil {
			return err
		}
		if _, err := routing.New(rules, k); err != nil {
			return fmt.Errorf("%s (rules are numbered by line): %w; nothing imported", filepath.Base(file), err)
		}
		if err := st.ReplaceDispatchRules(ctx, rules, time.Now()); err != nil {
			return err
		}
		if err := st.BumpConfig(ctx, app.ConfigRoutes, time.Now()); err != nil {
			return err
		}
		fmt.Printf("imported a dispatch table of %d rules (running servers apply it within seconds)\n", len(rules))
	default:
		return fmt.Errorf("import: unknown kind %q (divisions, catalog, outline, grids, dispatch or ledger)", kind)
	}
	return nil
}

// runRoute is the dispatch table's dry run.
func runRoute(ctx context.Context, args []string) error {
	var lon, lat float64
	var category, ownership string
	c, st, err := parseOpen(ctx, "route", args, func(fs *flag.FlagSet) {
		fs.Float64Var(&lon, "lon", 0, "longitude (WGS84)")
		fs.Float64Var(&lat, "lat", 0, "latitude (WGS84)")
		fs.StringVar(&category, "category", "", "category id, e.g. M06011")
		fs.StringVar(&ownership, "ownership", "", "ownership, e.g. property (optional)")
	})
	if err != nil {
		return err
	}
	defer st.Close()
	a, err := newApp(ctx, c, st)
	if err != nil {
		return err
	}
	res, err := a.Route(lon, lat, category, ownership, nil)
	if err != nil {
		return err
	}
	fmt.Printf("place: unit grid %s, grid %s, community %s, street %s\n", res.Place.UnitGrid, res.Place.Grid, res.Place.Community, res.Place.Street)
	fmt.Printf("lead:  %s (%s)\n", res.Decision.Lead.Name, res.Decision.Lead.Code)
	for _, u := range res.Decision.Assist {
		fmt.Printf("assist: %s (%s)\n", u.Name, u.Code)
	}
	fmt.Printf("why:   %s\n", res.Decision.Why)
	for _, r := range res.Decision.Matched {
		fmt.Printf("  matching rule %s (score %d)\n", r, r.Score())
	}
	return nil
}

// runExport writes the grid layer valid at a date as GeoJSON.
func runExport(ctx context.Context, args []string) error {
	if len(args) < 1 || args[0] != "grids" {
		return fmt.Errorf("usage: xiuhua export grids [-at YYYY-MM-DD]")
	}
	var at string
	_, st, err := parseOpen(ctx, "export", args[1:], func(fs *flag.FlagSet) {
		fs.StringVar(&at, "at", "", "the date the layer is valid at, YYYY-MM-DD (default now)")
	})
	if err != nil {
		return err
	}
	defer st.Close()
	when := time.Now()
	if at != "" {
		if when, err = time.ParseInLocation("2006-01-02", at, calendar.Shanghai); err != nil {
			return fmt.Errorf("-at %q: want YYYY-MM-DD", at)
		}
	}
	units, err := st.UnitGrids(ctx, when)
	if err != nil {
		return err
	}
	grids, err := st.Grids(ctx, when)
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, g := range grids {
		names[g.Code] = g.Name
	}
	b, err := places.MarshalLayer(units, names)
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(b)
	return err
}
