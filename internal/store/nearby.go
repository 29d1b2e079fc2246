package store

import (
	"container/heap"
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"

	"github.com/xiuhua/xiuhua/internal/caseflow"
)

// Place queries: duplicate candidates, recurring hotspots and the map. They
// narrow by an index on (category, lat, lon) or (lat, lon) in SQL and
// measure true distances in Go.

// metresToDegrees turns a radius into latitude and longitude spans at lat.
func metresToDegrees(m, lat float64) (dLat, dLon float64) {
	dLat = m / 111_320
	dLon = m / (111_320 * math.Max(math.Cos(lat*math.Pi/180), 0.01))
	return
}

// Nearby is a case near a point.
type Nearby struct {
	ID          int64          `json:"-"`
	Number      string         `json:"number"`
	Category    string         `json:"category"`
	State       caseflow.State `json:"state"`
	Lon         float64        `json:"lon"`
	Lat         float64        `json:"lat"`
	Street      string         `json:"street,omitempty"`
	UnitGrid    string         `json:"unit_grid"`
	ReportedAt  time.Time      `json:"reported_at"`
	Description string         `json:"description,omitempty"`
	Distance    float64        `json:"distance_m"`
}

// DuplicateRadius is the category's duplicate search radius in metres, or
// def when it has none of its own.
func (s *Store) DuplicateRadius(ctx context.Context, categoryID string, def float64) (float64, error) {
	var r int64
	err := rdb{s}.QueryRowContext(ctx, `SELECT duplicate_radius FROM categories WHERE id = $1`, categoryID).Scan(&r)
	if err != nil {
		return 0, fmt.Errorf("store: category %s: %w", categoryID, err)
	}
	if r <= 0 {
		return def, nil
	}
	return float64(r), nil
}

// SetDuplicateRadius sets a category's duplicate radius (0: the default).
func (s *Store) SetDuplicateRadius(ctx context.Context, categoryID string, metres int) error {
	res, err := s.w.ExecContext(ctx, `UPDATE categories SET duplicate_radius = $1 WHERE id = $2`, metres, categoryID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("category %s: %w", categoryID, ErrNotFound)
	}
	return nil
}

const nearbyCols = `id, number, category_id, state, lon, lat, street, unit_grid, reported_at, description`

func scanNearby(r scanner, n *Nearby) error {
	var at int64
	if err := r.Scan(&n.ID, &n.Number, &n.Category, &n.State, &n.Lon, &n.Lat, &n.Street, &n.UnitGrid, &at, &n.Description); err != nil {
		return err
	}
	n.ReportedAt = time.UnixMilli(at).UTC()
	return nil
}

// OpenNearby lists open cases of a category within radius metres of a
// point, reported since since, nearest first, leaving out case exclude:
// the duplicate candidates of a new report.
func (s *Store) OpenNearby(ctx context.Context, categoryID string, lon, lat, radius float64, since time.Time, exclude int64, limit int) ([]Nearby, error) {
	dLat, dLon := metresToDegrees(radius, lat)
	rows, err := rdb{s}.QueryContext(ctx, `SELECT `+nearbyCols+` FROM cases
		WHERE category_id = $1 AND lat BETWEEN $2 AND $3 AND lon BETWEEN $4 AND $5
		AND state NOT IN ('closed', 'voided') AND reported_at >= $6 AND id <> $7`,
		categoryID, lat-dLat, lat+dLat, lon-dLon, lon+dLon, since.UnixMilli(), exclude)
	if err != nil {
		return nil, fmt.Errorf("store: nearby cases: %w", err)
	}
	defer rows.Close()
	out := []Nearby{}
	p := orb.Point{lon, lat}
	for rows.Next() {
		var n Nearby
		if err := scanNearby(rows, &n); err != nil {
			return nil, err
		}
		if n.Distance = geo.Distance(p, orb.Point{n.Lon, n.Lat}); n.Distance <= radius {
			out = append(out, n)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b Nearby) int {
		if a.Distance != b.Distance {
			return cmpFloat(a.Distance, b.Distance)
		}
		return int(a.ID - b.ID)
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Repeats counts the cases merged into a case as repeat reports.
func (s *Store) Repeats(ctx context.Context, caseID int64) (int, error) {
	var n int
	err := rdb{s}.QueryRowContext(ctx, `SELECT count(*) FROM cases WHERE duplicate_of = $1`, caseID).Scan(&n)
	return n, err
}

// MergedInto lists the numbers of the cases merged into a case (its
// repeats), oldest first, at most limit.
func (s *Store) MergedInto(ctx context.Context, caseID int64, limit int) ([]string, error) {
	rows, err := rdb{s}.QueryContext(ctx, `SELECT number FROM cases WHERE duplicate_of = $1 ORDER BY id LIMIT $2`, caseID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: merged cases: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// Bound is a box of WGS84 coordinates.
type Bound struct{ MinLon, MinLat, MaxLon, MaxLat float64 }

// Valid says what is wrong with a box.
func (b Bound) Valid() error {
	switch {
	case anyNaN(b.MinLon, b.MinLat, b.MaxLon, b.MaxLat):
		return fmt.Errorf("bbox has a coordinate that is not a number")
	case b.MinLon < -180 || b.MaxLon > 180 || b.MinLat < -90 || b.MaxLat > 90:
		return fmt.Errorf("bbox %v is outside WGS84 (lon -180..180, lat -90..90)", b)
	case b.MinLon > b.MaxLon || b.MinLat > b.MaxLat:
		return fmt.Errorf("bbox must be min_lon,min_lat,max_lon,max_lat; min is above max")
	}
	return nil
}

func anyNaN(fs ...float64) bool {
	for _, f := range fs {
		if math.IsNaN(f) {
			return true
		}
	}
	return false
}

// MapFilter picks cases for the map.
type MapFilter struct {
	Box      Bound
	OpenOnly bool
	Category string // id or class prefix
	Since    time.Time
	Limit    int // most points; more become counts per unit grid
}

// MapCluster is the count of cases in one unit grid, or in one grid when
// there would be more unit grids than the limit, placed at their mean.
type MapCluster struct {
	UnitGrid string  `json:"unit_grid,omitempty"`
	Grid     string  `json:"grid,omitempty"` // counted per grid
	Count    int     `json:"count"`
	Lon      float64 `json:"lon"`
	Lat      float64 `json:"lat"`
}

// MapResult is points when they are few, counts per unit grid otherwise.
type MapResult struct {
	Total    int          `json:"total"`
	Points   []Nearby     `json:"points,omitempty"`
	Clusters []MapCluster `json:"clusters,omitempty"`
}

// mapCols are a marker's columns.
const mapCols = `id, number, category_id, state, lon, lat, unit_grid, reported_at`

// Tiles: SQLite's cases_tile index is keyed by a 0.0025° tile, numbered
// row by row (see migration 00003), so one row of tiles across a box is one
// contiguous range of the index.
const tileDeg, tileRow = 0.0025, 200000

// maxTileRows: boxes taller than this are read in one range (a zoomed-out
// map, which clusters anyway).
const maxTileRows = 64

func tileOf(lon, lat float64) (row, col int64) {
	return int64((lat + 90) / tileDeg), int64((lon + 180) / tileDeg)
}

// mapRanges are the queries' tile ranges: one per row of tiles, or one
// for a very tall box.
func mapRanges(b Bound) [][2]int64 {
	r0, c0 := tileOf(b.MinLon, b.MinLat)
	r1, c1 := tileOf(b.MaxLon, b.MaxLat)
	if r1-r0+1 > maxTileRows {
		return [][2]int64{{r0*tileRow + c0, r1*tileRow + c1}}
	}
	var out [][2]int64
	for r := r0; r <= r1; r++ {
		out = append(out, [2]int64{r*tileRow + c0, r*tileRow + c1})
	}
	return out
}

// mapWhere is the condition for "in the box" and the filters. On SQLite
// $5 and $6 are a tile range; on PostgreSQL the GiST index on
// point(lon, lat) answers the box.
func (s *Store) mapWhere(f MapFilter) (string, []any) {
	w := `lon BETWEEN $1 AND $3 AND lat BETWEEN $2 AND $4`
	if s.dialect == Postgres {
		w = `point(lon, lat) <@ box(point($1, $2), point($3, $4))`
	}
	args := []any{f.Box.MinLon, f.Box.MinLat, f.Box.MaxLon, f.Box.MaxLat, int64(0), int64(0)}
	if s.dialect == SQLite {
		w = `tile BETWEEN $5 AND $6 AND ` + w
	} else {
		w += ` AND $5::bigint <= $6::bigint` // keeps the argument list alike
	}
	if f.OpenOnly {
		w += ` AND state NOT IN ('closed', 'voided')`
	}
	if f.Category != "" {
		args = append(args, f.Category+"%")
		w += fmt.Sprintf(` AND category_id LIKE $%d`, len(args))
	}
	if !f.Since.IsZero() {
		args = append(args, f.Since.UnixMilli())
		w += fmt.Sprintf(` AND reported_at >= $%d`, len(args))
	}
	return w, args
}

// ranges are the tile ranges to query on this engine.
func (s *Store) ranges(b Bound) [][2]int64 {
	if s.dialect == Postgres {
		return [][2]int64{{0, 0}}
	}
	return mapRanges(b)
}

// Map returns the cases in a box: up to Limit points, or, when there are
// more, their counts per unit grid.
func (s *Store) Map(ctx context.Context, f MapFilter) (MapResult, error) {
	if err := f.Box.Valid(); err != nil {
		return MapResult{}, err
	}
	// Every case of every year is many in any box: the counts first. Open
	// cases are few: their points first (from a partial index), the
	// counts only when there are too many.
	counted := f.Category == "" && f.Since.IsZero() && s.aggregatesBuilt(ctx)
	if counted && !f.OpenOnly {
		res, err := s.mapCells(ctx, f)
		if err != nil || res.Total > f.Limit {
			return res, err
		}
	}
	where, args := s.mapWhere(f)
	ranges := s.ranges(f.Box)
	// Fetch one more than the limit: that says whether to cluster.
	var pts []Nearby
	for _, rg := range ranges {
		args[4], args[5] = rg[0], rg[1]
		rows, err := rdb{s}.QueryContext(ctx, `SELECT `+mapCols+` FROM cases WHERE `+where+
			fmt.Sprintf(` LIMIT %d`, f.Limit+1-len(pts)), args...)
		if err != nil {
			return MapResult{}, fmt.Errorf("store: map: %w", err)
		}
		for rows.Next() {
			var n Nearby
			var at int64
			if err := rows.Scan(&n.ID, &n.Number, &n.Category, &n.State, &n.Lon, &n.Lat, &n.UnitGrid, &at); err != nil {
				rows.Close()
				return MapResult{}, err
			}
			n.ReportedAt = time.UnixMilli(at).UTC()
			pts = append(pts, n)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return MapResult{}, err
		}
		if len(pts) > f.Limit {
			break
		}
	}
	if len(pts) <= f.Limit {
		return MapResult{Total: len(pts), Points: pts}, nil
	}
	if counted {
		return s.mapCells(ctx, f)
	}
	byCell := map[string]*MapCluster{}
	var order []string
	for _, rg := range ranges {
		args[4], args[5] = rg[0], rg[1]
		rows, err := rdb{s}.QueryContext(ctx, `SELECT unit_grid, count(*), sum(lon), sum(lat) FROM cases WHERE `+where+
			` GROUP BY unit_grid`, args...)
		if err != nil {
			return MapResult{}, fmt.Errorf("store: map clusters: %w", err)
		}
		for rows.Next() {
			var code string
			var n int
			var lon, lat float64
			if err := rows.Scan(&code, &n, &lon, &lat); err != nil {
				rows.Close()
				return MapResult{}, err
			}
			c, ok := byCell[code]
			if !ok {
				c = &MapCluster{UnitGrid: code}
				byCell[code] = c
				order = append(order, code)
			}
			c.Count += n
			c.Lon += lon
			c.Lat += lat
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return MapResult{}, err
		}
	}
	slices.Sort(order)
	res := MapResult{}
	for _, code := range order {
		c := byCell[code]
		c.Lon, c.Lat = c.Lon/float64(c.Count), c.Lat/float64(c.Count)
		res.Total += c.Count
		res.Clusters = append(res.Clusters, *c)
	}
	return res, nil
}

// mapCells counts the cases of the tiles the box touches, whole, per unit
// grid, from the maintained counts (map_agg): a few hundred rows however
// many cases the box holds. Counting whole tiles (0.0025°, about
// 210 × 280 m) widens the box by less than a tile on each side; the points,
// when there are few enough, are the box's own.
func (s *Store) mapCells(ctx context.Context, f MapFilter) (MapResult, error) {
	_, c0 := tileOf(f.Box.MinLon, f.Box.MinLat)
	_, c1 := tileOf(f.Box.MaxLon, f.Box.MaxLat)
	open := ``
	if f.OpenOnly {
		open = ` AND open = 1`
	}
	// Rows of both states and every shard are summed here, not in SQL: the
	// index hands them over in its order, without a sort.
	q := `SELECT tile, unit_grid, n, lon, lat FROM map_agg WHERE tile BETWEEN $1 AND $2` + open
	byCell := map[string]*[3]int64{}
	for _, rg := range mapRanges(f.Box) {
		rows, err := rdb{s}.QueryContext(ctx, q, rg[0], rg[1])
		if err != nil {
			return MapResult{}, fmt.Errorf("store: map counts: %w", err)
		}
		for rows.Next() {
			var tile int64
			var grid string
			var v [3]int64
			if err := rows.Scan(&tile, &grid, &v[0], &v[1], &v[2]); err != nil {
				rows.Close()
				return MapResult{}, err
			}
			if c := tile % tileRow; c < c0 || c > c1 {
				continue // a tall box's range runs through the rows' other tiles
			}
			cell := byCell[grid]
			if cell == nil {
				cell = new([3]int64)
				byCell[grid] = cell
			}
			for i := range v {
				cell[i] += v[i]
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return MapResult{}, err
		}
	}
	for code, c := range byCell {
		if c[0] <= 0 {
			delete(byCell, code)
		}
	}
	// A zoomed-out box holds thousands of unit grids: more than the limit
	// become counts per grid (a unit grid's code is its grid's and three
	// digits).
	perGrid := len(byCell) > f.Limit
	if perGrid {
		grids := map[string]*[3]int64{}
		for code, c := range byCell {
			g := code[:max(0, len(code)-3)]
			if grids[g] == nil {
				grids[g] = new([3]int64)
			}
			for i := range c {
				grids[g][i] += c[i]
			}
		}
		byCell = grids
	}
	res := MapResult{}
	for _, code := range slices.Sorted(maps.Keys(byCell)) {
		c := byCell[code]
		res.Total += int(c[0])
		cl := MapCluster{Count: int(c[0]), Lon: float64(c[1]) / 1e6 / float64(c[0]), Lat: float64(c[2]) / 1e6 / float64(c[0])}
		if perGrid {
			cl.Grid = code
		} else {
			cl.UnitGrid = code
		}
		res.Clusters = append(res.Clusters, cl)
	}
	return res, nil
}

// HotspotFilter picks where to look for recurring problems.
type HotspotFilter struct {
	Street   string
	Category string // id or class prefix
	Box      *Bound
	From, To time.Time
	Radius   float64 // metres (default 100)
	Min      int     // cases (default 3)
}

// Hotspot is a place where one category keeps coming back (长效机制 needed).
type Hotspot struct {
	Category string    `json:"category"`
	Street   string    `json:"street"`
	Lon      float64   `json:"lon"`
	Lat      float64   `json:"lat"`
	Count    int       `json:"count"`
	First    time.Time `json:"first"`
	Last     time.Time `json:"last"`
	Cases    []string  `json:"cases"`
}

// Hotspots finds places with at least Min cases of one category within
// Radius of each other's centre in [From, To), largest first. Merged
// duplicates count too: a repeat report is a sign of recurrence.
func (s *Store) Hotspots(ctx context.Context, f HotspotFilter) ([]Hotspot, error) {
	if f.Radius <= 0 {
		f.Radius = 100
	}
	if f.Min <= 0 {
		f.Min = 3
	}
	w := `reported_at >= $1 AND reported_at < $2 AND state <> 'voided'`
	args := []any{f.From.UnixMilli(), f.To.UnixMilli()}
	if f.Street != "" {
		args = append(args, f.Street)
		w += fmt.Sprintf(` AND street = $%d`, len(args))
	}
	if f.Category != "" {
		args = append(args, f.Category+"%")
		w += fmt.Sprintf(` AND category_id LIKE $%d`, len(args))
	}
	if f.Box != nil {
		if err := f.Box.Valid(); err != nil {
			return nil, err
		}
		args = append(args, f.Box.MinLat, f.Box.MaxLat, f.Box.MinLon, f.Box.MaxLon)
		n := len(args)
		w += fmt.Sprintf(` AND lat BETWEEN $%d AND $%d AND lon BETWEEN $%d AND $%d`, n-3, n-2, n-1, n)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+nearbyCols+` FROM cases WHERE `+w+` ORDER BY category_id, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: hotspots: %w", err)
	}
	byCat := map[string][]Nearby{}
	var cats []string
	for rows.Next() {
		var n Nearby
		if err := scanNearby(rows, &n); err != nil {
			rows.Close()
			return nil, err
		}
		if _, ok := byCat[n.Category]; !ok {
			cats = append(cats, n.Category)
		}
		byCat[n.Category] = append(byCat[n.Category], n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []Hotspot
	for _, c := range cats {
		out = append(out, clusters(byCat[c], f.Radius, f.Min)...)
	}
	slices.SortStableFunc(out, func(a, b Hotspot) int { return b.Count - a.Count })
	return out, nil
}

// clusters groups cases of one category greedily: the case with the most
// neighbours within radius becomes a centre and takes them; repeat while a
// centre has at least min. Neighbours are found through a grid of
// radius-sized buckets.
func clusters(cs []Nearby, radius float64, min int) []Hotspot {
	if len(cs) < min {
		return nil
	}
	dLat, dLon := metresToDegrees(radius, cs[0].Lat)
	type key struct{ x, y int }
	bucket := map[key][]int{}
	keyOf := func(n Nearby) key { return key{int(math.Floor(n.Lon / dLon)), int(math.Floor(n.Lat / dLat))} }
	for i, n := range cs {
		bucket[keyOf(n)] = append(bucket[keyOf(n)], i)
	}
	taken := make([]bool, len(cs))
	near := func(i int) []int {
		k := keyOf(cs[i])
		var out []int
		for dx := -1; dx <= 1; dx++ {
			for dy := -1; dy <= 1; dy++ {
				for _, j := range bucket[key{k.x + dx, k.y + dy}] {
					if !taken[j] && geo.Distance(orb.Point{cs[i].Lon, cs[i].Lat}, orb.Point{cs[j].Lon, cs[j].Lat}) <= radius {
						out = append(out, j)
					}
				}
			}
		}
		return out
	}
	// Each case's count of untaken neighbours (itself included), kept as
	// cases are taken, and a heap of them, most first, then the first case:
	// the same centres as asking every case each round, without that
	// (seen: the dashboard's 90 days of a 1,000,000-case demo ran for
	// minutes).
	count := make([]int, len(cs))
	pq := make(candidates, len(cs))
	for i := range cs {
		count[i] = len(near(i))
		pq[i] = candidate{n: count[i], i: i}
	}
	heap.Init(&pq)
	var out []Hotspot
	touched := make([]bool, len(cs))
	for {
		best := -1
		for pq.Len() > 0 {
			c := heap.Pop(&pq).(candidate)
			if !taken[c.i] && c.n == count[c.i] { // else an older count
				best = c.i
				break
			}
		}
		if best < 0 || count[best] < min {
			return out
		}
		bestN := near(best)
		for _, j := range bestN {
			taken[j] = true
		}
		// The cases near those taken have as many fewer neighbours.
		var changed []int
		for _, j := range bestN {
			for _, m := range near(j) {
				count[m]--
				if !touched[m] {
					touched[m] = true
					changed = append(changed, m)
				}
			}
		}
		for _, m := range changed {
			touched[m] = false
			heap.Push(&pq, candidate{n: count[m], i: m})
		}
		h := Hotspot{Category: cs[best].Category, Street: cs[best].Street, Lon: cs[best].Lon, Lat: cs[best].Lat, Count: len(bestN)}
		slices.Sort(bestN)
		for _, j := range bestN {
			taken[j] = true
			c := cs[j]
			h.Cases = append(h.Cases, c.Number)
			if h.First.IsZero() || c.ReportedAt.Before(h.First) {
				h.First = c.ReportedAt
			}
			if c.ReportedAt.After(h.Last) {
				h.Last = c.ReportedAt
			}
		}
		out = append(out, h)
	}
}

// candidate is a case and its count of untaken neighbours; candidates is
// a heap of them, the most neighbours first, then the lowest index.
type candidate struct{ n, i int }
type candidates []candidate

func (c candidates) Len() int { return len(c) }
func (c candidates) Less(a, b int) bool {
	if c[a].n != c[b].n {
		return c[a].n > c[b].n
	}
	return c[a].i < c[b].i
}
func (c candidates) Swap(a, b int) { c[a], c[b] = c[b], c[a] }
func (c *candidates) Push(x any)   { *c = append(*c, x.(candidate)) }
func (c *candidates) Pop() any {
	old := *c
	x := old[len(old)-1]
	*c = old[:len(old)-1]
	return x
}
