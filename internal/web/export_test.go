package web

// Routes lists the route table as "METHOD /path" → access level (public,
// staff, wide, admin), so the tests outside the package walk every route
// and a new route cannot be forgotten.
func Routes() map[string]string {
	out := map[string]string{}
	for _, r := range (&Server{}).routeTable() {
		out[r.pattern] = r.access
	}
	return out
}

// SetExportLimit changes the most rows an export holds, until the
// returned function puts it back.
func SetExportLimit(n int64) (restore func()) {
	old := exportLimit.Swap(n)
	return func() { exportLimit.Store(old) }
}

// ScreenRoutes are the routes a screen token may read.
func ScreenRoutes() map[string]bool {
	out := map[string]bool{}
	for _, r := range (&Server{}).routeTable() {
		if r.screen {
			out[r.pattern] = true
		}
	}
	return out
}
