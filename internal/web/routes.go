package web

import (
	"context"
	"net/http"
	"sort"
	"strings"

	"github.com/xiuhua/xiuhua/internal/access"
)

// One table of routes: the server registers it and the OpenAPI document
// (GET /api/v1/openapi.json) is written from it, so the two cannot drift.

// Access levels of a route.
const (
	public = "public" // anyone
	staff  = "staff"  // signed in; results cut to the reader's scope
	wide   = "wide"   // signed in as the centre or a leader
	centre = "centre" // signed in as the hotline centre (operator, dispatcher) or an administrator: keeps its knowledge base
	admin  = "admin"  // signed in as an administrator
	// machine: an API token holding the route's scope (the alarm intake's
	// alarms), checked by the handler itself; no session.
	machine = "machine"
)

type route struct {
	pattern string // "GET /api/v1/cases/{number}"
	access  string
	summary string
	query   []string // query parameters: "name: meaning"
	body    string   // JSON body, for writes
	h       http.HandlerFunc
	signed  func(http.ResponseWriter, *http.Request, access.Principal) // instead of h, for writes
	cache   bool                                                       // a hot read: answers kept in the read cache
	screen  bool                                                       // a screen token (access.ScopeScreen) may read it
}

func (s *Server) routeTable() []route {
	caseFilters := []string{"state: a case state", "street: street code", "community: community code", "grid: grid code",
		"unit: department code (cases with its task)", "category: id (M06011) or class (M06)", "overdue: true for open cases past their deadline",
		"channel: patrol, hotline, web, open311, import, video or iot", "from: first report day, YYYY-MM-DD", "to: last report day, YYYY-MM-DD", "q: text in the description or address", "mine: true for the cases the reader reported", "queue: a waiting list (GET /api/v1/queues), instead of state and overdue"}
	return []route{
		{pattern: "GET /healthz", access: public, summary: "alive", h: s.healthz},
		{pattern: "GET /readyz", access: public, summary: "database reachable and migrations current", h: s.readyz},
		{pattern: "GET /api/v1/openapi.json", access: public, summary: "this document", h: s.openapi},
		{pattern: "GET /api/v1/stats", access: public, summary: "case counts by state", h: s.stats},
		{pattern: "GET /api/v1/evaluations/definitions", access: public, summary: "every evaluation count and rate, defined", h: s.definitions},
		{pattern: "POST /api/v1/session", access: public, summary: "sign in: sets the session cookie, returns the CSRF token", body: "username, password", h: limited(s.signInLimit, s.login)},
		{pattern: "DELETE /api/v1/session", access: staff, summary: "sign out", signed: s.logout},
		{pattern: "GET /api/v1/me", access: staff, summary: "the signed-in person", signed: s.me},
		{pattern: "PUT /api/v1/me/password", access: staff, summary: "change one's own password (the current one is checked and counted like a sign-in): one's other sessions end, one's API tokens are revoked",
			body: "current_password, new_password", signed: s.changePassword},
		{pattern: "GET /api/v1/cases", access: staff, summary: "cases newest first, in the reader's scope",
			query: append(caseFilters, "limit: 1–1000", "cursor: next_cursor of the previous page", "count: true for the filter's total (and the export's row limit)"), h: s.listCases, cache: true},
		{pattern: "POST /api/v1/cases", access: staff, summary: "report a case (Idempotency-Key header: a retry returns the first case)",
			body: "category, description, lon, lat, address, urgency (normal, urgent, immediate), channel (patrol, hotline, web, open311), photos (ids from POST /api/v1/photos), attributes (the category's questions: code → answer); at the hotline desk request_type, caller {name, phone, anonymous, callback, updates} and elements {when, who, matter}", signed: s.report},
		{pattern: "GET /api/v1/cases/{number}", access: staff, summary: "a case with tasks, running deadlines, repeats and timeline", h: s.getCase},
		{pattern: "POST /api/v1/cases/{number}/actions/{action}", access: staff, summary: "one transition of the case loop (stale version: 409)",
			body: "version, reason, note, photos, assignments[{unit, lead}], auto, task_unit, deadline, special, found, satisfied, solved, duplicate_of; hotline steps: contacted_at, method (phone, visit, sms), reply, reach (reached, not_reached, refused), rating (satisfied, fairly_satisfied, dissatisfied), justified", signed: s.act},
		{pattern: "GET /api/v1/callers/{phone}/cases", access: wide, summary: "a caller's earlier orders by phone, newest first (the hotline desk); audited", signed: s.callerCases},
		{pattern: "GET /api/v1/cases/{number}/reporter", access: staff, summary: "the reporter's name and phone, for the roles that call back (operators, dispatchers); every view audited", signed: s.caseReporter},
		{pattern: "GET /api/v1/cases/{number}/duplicates", access: wide, summary: "open cases of the same category nearby", h: s.caseDuplicates},
		{pattern: "GET /api/v1/duplicates", access: staff, summary: "duplicate candidates for a report being written",
			query: []string{"lon: longitude", "lat: latitude", "category: category id"}, h: s.duplicates},
		{pattern: "POST /api/v1/alarms", access: machine, summary: "the alarm intake (视频智能识别 / 物联感知): a camera platform's or AI box's push with an API token of the alarms scope (and, when the token has a secret, X-Xiuhua-Timestamp and X-Xiuhua-Signature: sha256 HMAC of timestamp.body, 5 minutes either way); each alarm is kept once by source, device and event id and answered registered, suspected, repeat or dropped with the rule's reason",
			query: []string{"format: generic (default) or hikvision (OnEventNotify)", "source: the platform's name, for hikvision"}, body: "the push (see the alarm package)", h: s.alarmIntake},
		{pattern: "GET /api/v1/alarms", access: centre, summary: "the review queue (疑似) newest first, each with its snapshots and the repeats counted on it, and how many wait; status=all for every kept alarm",
			query: []string{"status: suspected (default), registered, repeat, dropped, accepted, false, merged or all", "device: a device id", "case: a case number: the alarms that filed it or count on it, its camera's check evidence (reason check_evidence) among them", "before: an alarm id (the cursor)", "limit: 1–500"}, h: s.listAlarms},
		{pattern: "POST /api/v1/alarms/{id}/review", access: centre, summary: "decide a suspected alarm: accept (a case with its snapshots), false (误报, with a reason) or merge (counted on the open case of its camera and category, or the case named)",
			body: "verdict (accept, false or merge), reason, case", signed: s.reviewAlarm},
		{pattern: "GET /api/v1/alarm-rates", access: wide, summary: "the false-alarm rate (误报率) per camera and per model: of the alarms people reviewed, how many were false", h: s.alarmRates},
		{pattern: "GET /api/v1/queues", access: staff, summary: "the waiting lists (queue=ID on GET /api/v1/cases) with their counts, in the reader's scope", h: s.listQueues},
		{pattern: "GET /api/v1/notification-rules", access: staff, summary: "who is told what: every notification rule (trigger, condition, audience, kind, level, escalation ladder) worded in the reader's language with an example message, and the ladder's steps and waits",
			query: []string{"lang: zh-CN or en (default: Accept-Language)"}, h: s.notificationRules},
		{pattern: "POST /api/v1/notification-rules/dry-run", access: centre, summary: "who would be told what if a case's running deadlines reached a stage now: each inbox line, who it reaches (names; phones and e-mail masked) and the sends it would make (channel, ladder step, when); writes nothing",
			body: "case, stage (warning, overdue or escalated)", signed: s.notifyDryRun},
		{pattern: "GET /api/v1/cases/{number}/sends", access: wide, summary: "通知记录: every message sent about the case through SMS, e-mail or a group robot, with its step, state, attempts and last error (addresses masked)", signed: s.caseSends},
		{pattern: "GET /api/v1/me/contacts", access: staff, summary: "how the signed-in person is reached besides the inbox: phone, e-mail, language, chosen channels, liaison", signed: s.myContacts},
		{pattern: "PUT /api/v1/me/contacts", access: staff, summary: "change how one is reached (an administrator names the liaisons)", body: "phone, email, lang, channels", signed: s.setMyContacts},
		{pattern: "GET /api/v1/inbox", access: staff, summary: "what is new, due and overdue for the signed-in person", query: []string{"limit: 1–500"}, h: s.inbox},
		{pattern: "GET /api/v1/inbox/counts", access: staff, summary: "the bell: the inbox's unread lines and the counts of the waiting lists that are the reader's work (those of GET /api/v1/inbox and GET /api/v1/queues), without the lines", h: s.inboxCounts},
		{pattern: "POST /api/v1/inbox/read", access: staff, summary: "mark inbox lines read (ids), or every unread line (all: true); answers marked and unread",
			body: "ids, all", signed: s.markRead},
		{pattern: "GET /api/v1/knowledge", access: staff, summary: "知识库: with q, the points holding every word, in force first and best match first (the desk's search); without, every point newest first (before: the cursor; expired=true: only those past their end); each with its status today; with like instead of q, the points sharing most of a text's pieces (the category just chosen at the desk)",
			query: []string{"q: words (at most 100 characters)", "like: a text such as a category's name", "limit: 1–200", "before: a point's id", "expired: true"}, h: s.knowledge},
		{pattern: "GET /api/v1/knowledge/{id}", access: staff, summary: "one knowledge point", h: s.knowledgePoint},
		{pattern: "GET /api/v1/knowledge/export", access: wide, summary: "the knowledge base as the file the import reads, with each point's status (format=xlsx|csv; expired=true: only the expired)", h: s.exportKnowledge},
		{pattern: "POST /api/v1/knowledge", access: centre, summary: "add a knowledge point (the hotline centre: operators, dispatchers, administrators)",
			body: "category[], title, content, issuer, kind, keywords[], scope, from, until", signed: s.saveKnowledge},
		{pattern: "PUT /api/v1/knowledge/{id}", access: centre, summary: "replace a knowledge point", body: "as POST", signed: s.saveKnowledge},
		{pattern: "DELETE /api/v1/knowledge/{id}", access: centre, summary: "delete a knowledge point", signed: s.deleteKnowledge},
		{pattern: "POST /api/v1/knowledge/import", access: centre, summary: "import a knowledge file (the body: .xlsx or .csv with the columns of the export; a row with 编号 replaces that point): every row checked, all or nothing, errors by line and column; dry_run=true only checks",
			query: []string{"name: the file's name (.xlsx or .csv)", "dry_run: true"}, signed: s.importKnowledge},
		{pattern: "GET /api/v1/key-issues", access: wide, summary: "每月一题: a month's category × street pairs — the most frequent, the rising (up by at least 5 and by half on the month before) and the most repeated (at least 3 requests merged as the same matter) — with names (format=csv|xlsx for the file)",
			query: []string{"month: YYYY-MM (default: the last full month)", "channel: e.g. hotline", "limit: 1–100 a list", "format: json, csv or xlsx"}, h: s.keyIssues},
		{pattern: "GET /api/v1/route", access: wide, summary: "dispatch table dry run for a point and category",
			query: []string{"lon: longitude", "lat: latitude", "category: category id", "ownership: e.g. property", "case: a case being dispatched again (not to those who returned it)"}, h: s.route},
		{pattern: "GET /api/v1/dispatch-rules", access: wide, summary: "the dispatch table", h: s.dispatchRules},
		{pattern: "GET /api/v1/hotspots", access: wide, summary: "recurring problems (长效)",
			query: []string{"street: street code", "category: id or class", "bbox: min_lon,min_lat,max_lon,max_lat", "days: 1–366", "radius: metres", "min: cases"}, h: s.hotspots},
		{pattern: "GET /api/v1/dashboard", access: wide, screen: true, summary: "the dashboard's figures in one answer, as the command display (/screen) shows them: cases reaching each stage (reported, registered, lead tasks dispatched, closed) today and in the period so far, with 同比/环比 when asked; the top streets, units (cases with a task of theirs) and categories of the period's reports; the open cases past their deadline, longest first; the supervision orders waiting; open cases per grid for the heat map; and the street × category pair reported most in the last 7 days against the 7 before. No personal data; a screen token may read it",
			query: []string{"compare: yoy (同比: the same days a year before) or mom (环比: the day before; the month, quarter, year, week or range of days before the period)", "workdays: true to count working days only (环比 of today: the working day before)",
				"top: 1–50 rows of each top list and of the overdue and supervision lists (default 5)", "sort: reported (default), open, closed or overdue: the top lists' order", "only: stages for the stages alone (a second comparison in the same refresh)",
				"period: the top lists' and the period's figures: 2026-11, 2026-Q4, 2026, 2026-W47 or 2026-11-01..2026-11-15 (default: this month so far)"}, h: s.dashboard},
		{pattern: "GET /api/v1/map", access: wide, summary: "cases in a box: points, or, above limit, counts per unit grid (per grid above limit unit grids) of the 0.0025° tiles the box touches",
			query: []string{"bbox: min_lon,min_lat,max_lon,max_lat", "state: all (default open)", "category: id or class", "limit: 1–10000"}, h: s.mapCases, cache: true},
		{pattern: "GET /api/v1/ledger", access: staff, summary: "台账: totals and rows (format=csv|xlsx for the whole file)",
			query: append(caseFilters, "format: json, csv or xlsx"), h: s.ledger},
		{pattern: "GET /api/v1/zeroing", access: staff, summary: "问题归零: open problems day by day", query: append(caseFilters, "days: 1–366"), h: s.zeroing},
		{pattern: "GET /api/v1/evaluations", access: wide, summary: "综合评价 for a group and period",
			query: []string{"group: department, street, community or worker", "period: 2026-11, 2026-Q4, 2026, 2026-W47 or 2026-11-01..2026-11-15",
				"w.RATE: weight of a rate", "min_sample: the sample a unit needs to be ranked (default 10)", "format: json, csv or xlsx"}, h: s.evaluation},
		{pattern: "GET /reports/monthly", access: wide, summary: "月度报告 as a page (download=1 for a file)",
			query: []string{"period: 2026-10", "street: street code", "download: 1"}, h: s.monthlyReport},
		{pattern: "POST /api/v1/photos", access: staff, summary: "upload a photo (JPEG, PNG or WebP, up to 10 MB): returns its id for report_back",
			body: "the image bytes", signed: s.uploadPhoto},
		{pattern: "GET /api/v1/photos/{id}", access: public, summary: "a photo's public copy, re-encoded without EXIF (thumb=1: the thumbnail)",
			query: []string{"thumb: 1 for the thumbnail"}, h: s.publicPhoto},
		{pattern: "GET /api/v1/photos/{id}/original", access: staff, summary: "the photo as uploaded, EXIF included, to staff who may see a case it is evidence on (otherwise 404)", h: s.originalPhoto},
		{pattern: "POST /api/v1/public/reports", access: public, summary: "a resident reports a problem (public categories; name and phone kept for staff only; 10 a minute per client)",
			body: "category, description, address, lon, lat, name, phone, photos", h: limited(s.writeLimit, s.residentReport)},
		{pattern: "POST /api/v1/public/photos", access: public, summary: "a resident uploads a photo for a report (JPEG, PNG or WebP, 10 MB; 10 a minute per client)",
			body: "the image bytes", h: limited(s.writeLimit, s.publicUpload)},
		{pattern: "GET /api/v1/public/cases/{number}", access: public, summary: "follow a case by its number: state and steps, no personal data",
			h: limited(s.readLimit, s.followCase)},
		{pattern: "POST /api/v1/public/cases/{number}/rating", access: public, summary: "the resident who reported a closed case rates it (phone as given in the report; once)",
			body: "phone, satisfied, solved, note", h: limited(s.writeLimit, s.rate)},
		{pattern: "GET /api/v1/public/board", access: public, summary: "问题挂牌: open public problems with their deadlines, or the closed ones",
			query: []string{"status: open (default) or closed", "street: street code", "category: id or class", "cursor: next_cursor"}, h: limited(s.readLimit, s.board)},
		{pattern: "GET /api/v1/public/nearby", access: public, summary: "a resident's pin: its street and community, and the open public problems in its public cell and the eight around it (at their public points, nearest first, at most 10)",
			query: []string{"lon: longitude", "lat: latitude", "category: a public category id (optional)"}, h: limited(s.readLimit, s.publicNearby)},
		{pattern: "POST /api/v1/public/cases/{number}/me-too", access: public, summary: "我也遇到: a resident meets an open problem of the board too, instead of reporting it again (one event on the case; the public sees the count; the same Idempotency-Key from the same client again counts once)",
			body: "lon, lat (optional: where the resident is)", h: limited(s.writeLimit, s.meToo)},
		{pattern: "GET /api/v1/public/map", access: public, summary: "every open public problem of the district, counted per public cell (a single one named)",
			h: limited(s.readLimit, s.publicMap)},
		{pattern: "POST /api/v1/public/alerts", access: public, summary: "订阅提醒: a resident asks for e-mail alerts of new public problems in an area — a street, a community, or a circle (lon, lat, radius 100–3000 m inside the district) — optionally of some categories; a confirmation mail is sent and nothing else before its link is followed (10 a minute per client network, 5 a day per address)",
			body: "email, street, community, lon, lat, radius, categories, lang", h: limited(s.writeLimit, s.subscribe)},
		{pattern: "POST /api/v1/public/alerts/confirm", access: public, summary: "confirm a subscription with the token of its confirmation mail's link: answers the area and categories (never the address)",
			body: "token", h: limited(s.writeLimit, s.confirmAlert)},
		{pattern: "POST /api/v1/public/alerts/unsubscribe", access: public, summary: "end a subscription with the token of a mail's unsubscribe link (the subscription and its address are deleted)",
			body: "token", h: limited(s.writeLimit, s.unsubscribe)},
		{pattern: "POST /alerts/unsubscribe/{token}", access: public, summary: "one-click unsubscribe (RFC 8058 List-Unsubscribe-Post: List-Unsubscribe=One-Click; mail providers post from few networks, so the reads limit applies)", h: limited(s.readLimit, s.unsubscribe)},
		{pattern: "GET /alerts/confirm/{token}", access: public, summary: "the page a confirmation mail links to", h: page("board.html")},
		{pattern: "GET /alerts/unsubscribe/{token}", access: public, summary: "the page an unsubscribe link opens: it unsubscribes at once", h: page("board.html")},
		{pattern: "GET /feeds/board.atom", access: public, summary: "Atom feed of the board's newest open public problems (at most 50), of an area when asked: street, community, or a circle (lat, lon, r metres 100–3000)",
			query: []string{"street: street code", "community: community code", "lat: the circle's centre", "lon: the circle's centre", "r: the circle's radius in metres", "category: id or class", "lang: zh-CN (default) or en"}, h: limited(s.readLimit, s.boardFeed)},
		{pattern: "GET /feeds/cases/{file}", access: public, summary: "Atom feed of one case's public progress: /feeds/cases/NUMBER.atom",
			query: []string{"lang: zh-CN (default) or en"}, h: limited(s.readLimit, s.caseFeed)},
		{pattern: "GET /open311/v2/{doc}", access: public, summary: "Open311 GeoReport v2: discovery, services, requests (.json or .xml)",
			h: limited(s.readLimit, s.open311Get)},
		{pattern: "POST /open311/v2/{doc}", access: public, summary: "Open311 GeoReport v2: POST requests (form-encoded, api_key)",
			h: limited(s.readLimit, s.open311Post)},
		{pattern: "GET /open311/v2/services/{code}", access: public, summary: "Open311 service definition", h: limited(s.readLimit, s.open311Service)},
		{pattern: "GET /open311/v2/requests/{id}", access: public, summary: "Open311 service request", h: limited(s.readLimit, s.open311Request)},
		{pattern: "GET /open311/v2/tokens/{token}", access: public, summary: "Open311 token lookup", h: limited(s.readLimit, s.open311Token)},
		{pattern: "GET /api/v1/places/map", access: public, summary: "the map layer: outline, streets, communities, grids and every unit grid as a ring",
			h: s.placesMap},
		{pattern: "GET /api/v1/catalog", access: public, summary: "the problem catalog (public=true: what residents may report)",
			query: []string{"public: true for the public categories only"}, h: s.categories},
		{pattern: "GET /api/v1/units", access: staff, summary: "departments and street offices", h: s.units},
		{pattern: "GET /api/v1/admin/users", access: admin, summary: "a page of accounts by username (no password hashes, no phones) and how many match",
			query: []string{"q: text in the username, name, unit name or unit code", "role: a role", "unit: a unit code", "offset: accounts to pass over", "limit: 1–100 (default 50)"}, signed: s.adminUsers},
		{pattern: "POST /api/v1/admin/users", access: admin, summary: "create an account", body: "username, name, role, unit, grids, password", signed: s.adminCreateUser},
		{pattern: "PATCH /api/v1/admin/users/{username}", access: admin, summary: "change an account (a new password or active=false ends its sessions and revokes its tokens; a new role, unit or grids ends its sessions)",
			body: "name, role, unit, grids, password, active", signed: s.adminUpdateUser},
		{pattern: "GET /api/v1/admin/users/{username}/contacts", access: admin, summary: "an account's phone, e-mail, language, chosen channels and liaison flag", signed: s.adminContacts},
		{pattern: "PUT /api/v1/admin/users/{username}/contacts", access: admin, summary: "set an account's contacts and whether it is its unit's liaison (联络员, called by SMS on the escalation ladder)",
			body: "phone, email, lang, channels, liaison", signed: s.adminSetContacts},
		{pattern: "GET /api/v1/admin/tokens", access: admin, summary: "the screen tokens (大屏): name, account, when made and revoked; never the tokens", signed: s.adminTokens},
		{pattern: "POST /api/v1/admin/tokens", access: admin, summary: "make a screen token (scope screen): it reads GET /api/v1/dashboard and nothing else; the token, and the /screen address that signs a wall in with it, are in this answer only",
			body: "scope (screen), name, username (default: the administrator; a leader's or the centre's account)", signed: s.adminCreateToken},
		{pattern: "DELETE /api/v1/admin/tokens/{id}", access: admin, summary: "revoke a screen token", signed: s.adminRevokeToken},
		{pattern: "GET /api/v1/admin/robots", access: admin, summary: "the units' group robots (DingTalk, WeCom, Feishu): whether each token and secret is set, never what they are", signed: s.adminRobots},
		{pattern: "POST /api/v1/admin/robots", access: admin, summary: "add a unit's group robot; the token and secret are written, never shown again",
			body: "unit, kind, name, lang, active, token, secret", signed: s.adminSaveRobot},
		{pattern: "PUT /api/v1/admin/robots/{id}", access: admin, summary: "change a robot (an empty token or secret keeps the stored one)", body: "as POST", signed: s.adminSaveRobot},
		{pattern: "DELETE /api/v1/admin/robots/{id}", access: admin, summary: "delete a robot", signed: s.adminDeleteRobot},
		{pattern: "GET /api/v1/admin/sends", access: admin, summary: "the newest sends through SMS, e-mail and robots with their state, attempts and last error (addresses masked), and every send counted by state",
			query: []string{"state: queued, sent, failed or skipped", "limit: 1–500 (default 100)"}, signed: s.adminSends},
		{pattern: "GET /api/v1/admin/devices", access: admin, summary: "the registered cameras and sensors with their place, categories, threshold, dwell, hours and whether each category registers by itself", signed: s.adminDevices},
		{pattern: "POST /api/v1/admin/devices", access: admin, summary: "register a camera or sensor (its grid found from its point)",
			body: "source, code, name, kind (video or iot), lon, lat, threshold, dwell (seconds), hours {from, to} (minutes after midnight, Beijing time), raises [{category, events, auto, evidence}], active", signed: s.adminSaveDevice},
		{pattern: "PUT /api/v1/admin/devices/{id}", access: admin, summary: "change or turn off (active=false) a camera or sensor", body: "as POST", signed: s.adminSaveDevice},
		{pattern: "POST /api/v1/admin/units", access: admin, summary: "add a unit (department, street office, community, property company, leadership)",
			body: "code, name, kind, street, parent", signed: s.adminCreateUnit},
		{pattern: "PUT /api/v1/admin/categories/{id}", access: admin, summary: "add a local category (code 9xxxx) or change a category's public flag and department hint (a national category keeps its GB/T name and class)",
			body: "major_class, name, dept_hint, public", signed: s.adminPutCategory},
		{pattern: "POST /api/v1/admin/ledger", access: admin, summary: "import a spreadsheet ledger or a district's 12345 export (the body: .xlsx or .csv): every row checked, all or nothing, each refused cell by line, column and field; dry_run=true only checks",
			query: []string{"name: the file's name (.xlsx or .csv)", "map: field=header pairs for headers of other names (caller.phone=联系电话)", "dry_run: true"}, signed: s.importLedger},
		{pattern: "GET /api/v1/admin/ledger/template", access: admin, summary: "the ledger import's template: its columns (with one per category question) and, in the .xlsx, what each takes",
			query: []string{"format: xlsx (default) or csv"}, signed: s.ledgerTemplate},
		{pattern: "POST /api/v1/admin/grids", access: admin, summary: "import a grid layer (GeoJSON body); dry_run=true only checks it",
			query: []string{"from: first day it is valid, YYYY-MM-DD (default now)", "dry_run: true to check without importing"}, signed: s.adminGrids},
		{pattern: "GET /api/v1/admin/time-limits", access: admin, summary: "the time-limit table", signed: s.adminTimeLimits},
		{pattern: "GET /api/v1/admin/calendar", access: admin, summary: "the district's own days off and working days", signed: s.adminCalendar},
		{pattern: "GET /api/v1/admin/holidays", access: admin, summary: "the holiday files in force (built in and imported) and the years still without one", signed: s.adminHolidays},
		{pattern: "POST /api/v1/admin/holidays", access: admin, summary: "import a year's holiday file (holiday-cn JSON body) and move the running deadlines it changes; dry_run=true only says what would move",
			query: []string{"dry_run: true to check without importing"}, signed: s.adminImportHolidays},
		{pattern: "PUT /api/v1/admin/calendar/{day}", access: admin, summary: "make a day a working day or a day off (new deadlines count it at once)",
			body: "working, note", signed: s.adminSetDay},
		{pattern: "DELETE /api/v1/admin/calendar/{day}", access: admin, summary: "remove the district's setting for a day", signed: s.adminUnsetDay},
		{pattern: "PUT /api/v1/admin/time-limits", access: admin, summary: "replace the time-limit table (checked whole)", body: "limits[{scope, urgency, step, amount, unit, note}]", signed: s.adminSetTimeLimits},
		{pattern: "POST /api/v1/admin/dispatch-rules", access: admin, summary: "add a dispatch rule (checked against the catalog, units and places)",
			body: "category, area, ownership, lead, assist, note", signed: s.adminAddRule},
		{pattern: "DELETE /api/v1/admin/dispatch-rules/{id}", access: admin, summary: "delete a dispatch rule", signed: s.adminDeleteRule},
		{pattern: "GET /api/v1/admin/webhooks", access: admin, summary: "webhook subscriptions (no secrets), each with its pending and parked deliveries", signed: s.adminWebhooks},
		{pattern: "POST /api/v1/admin/webhooks", access: admin, summary: "subscribe a URL (http or https) to topics (default *: all); the secret, made when not given, is in this answer only",
			body: "url, topics, secret", signed: s.adminAddWebhook},
		{pattern: "PATCH /api/v1/admin/webhooks/{id}", access: admin, summary: "pause (active=false) or resume a webhook", body: "active", signed: s.adminSetWebhook},
		{pattern: "GET /api/v1/admin/webhooks/{id}/deliveries", access: admin, summary: "a webhook's deliveries, newest first, with state, attempts and the last status or error",
			query: []string{"state: pending, done or parked", "before: next_before of the previous page", "limit: 1–200"}, signed: s.adminDeliveries},
		{pattern: "POST /api/v1/admin/deliveries/{id}/replay", access: admin, summary: "send a parked delivery again from now", signed: s.adminReplay},
		{pattern: "POST /api/v1/admin/webhooks/{id}/replay", access: admin, summary: "send every parked delivery of a webhook again from now; answers how many", signed: s.adminReplayAll},
		{pattern: "GET /{$}", access: public, summary: "home page (120 a minute per client network: it counts and pages cases)", h: limited(s.readLimit, s.index)},
		{pattern: "GET /app", access: public, summary: "the staff web app (command centre, phone, desk, dashboard, admin)", h: page("app.html")},
		{pattern: "GET /screen", access: public, summary: "大屏: the command display for the centre's wall (1920×1080, scaling to 2K and 4K); signs in with a screen token (?token=, kept in the browser)", h: page("screen.html")},
		{pattern: "GET /board", access: public, summary: "问题挂牌: the public board, case follow-up and resident reporting", h: page("board.html")},
		{pattern: "GET /ui/{file...}", access: public, summary: "the web app's scripts, styles and message catalogs", h: s.uiFile},
		{pattern: "GET /login", access: public, summary: "sign-in page", h: s.loginPage},
		{pattern: "POST /login", access: public, summary: "sign-in form", h: limited(s.signInLimit, s.loginForm)},
	}
}

// register puts the table on the mux with each route's access check.
func (s *Server) register() {
	for _, r := range s.routeTable() {
		h := r.h
		if r.signed != nil {
			sh := r.signed
			h = func(w http.ResponseWriter, req *http.Request) { sh(w, req, principal(req)) }
		}
		// A camera platform's flood is the intake's to absorb, not a
		// person's writes to limit.
		if r.access != public && r.access != machine {
			h = s.staffLimited(r.pattern, h)
		}
		if r.access == admin {
			lh := h
			s.mux.HandleFunc(r.pattern, s.admin(func(w http.ResponseWriter, req *http.Request, _ access.Principal) { lh(w, req) }))
			continue
		}
		if r.cache {
			h = s.cached(h)
		}
		switch r.access {
		case staff:
			h = s.staff(h)
		case wide:
			h = s.wide(h)
		case centre:
			h = s.centre(h)
		}
		if r.screen {
			sh := h
			h = func(w http.ResponseWriter, req *http.Request) {
				sh(w, req.WithContext(context.WithValue(req.Context(), screenRoute{}, true)))
			}
		}
		s.mux.HandleFunc(r.pattern, h)
	}
}

// openapi writes the API as an OpenAPI 3.0 document from the route table.
func (s *Server) openapi(w http.ResponseWriter, _ *http.Request) {
	paths := map[string]map[string]any{}
	problemRef := map[string]any{"$ref": "#/components/responses/Problem"}
	for _, r := range s.routeTable() {
		method, path, _ := strings.Cut(r.pattern, " ")
		if !strings.HasPrefix(path, "/api/") && !strings.HasPrefix(path, "/reports/") {
			continue
		}
		op := map[string]any{"summary": r.summary, "operationId": strings.ToLower(method) + strings.NewReplacer("/", "_", "{", "", "}", "", "-", "_", ".", "_").Replace(path),
			"responses": map[string]any{"200": map[string]any{"description": "OK"}, "400": problemRef, "401": problemRef, "403": problemRef, "404": problemRef}}
		if r.access != public {
			op["security"] = []any{map[string]any{"session": []any{}}, map[string]any{"token": []any{}}}
			op["x-access"] = r.access
		}
		if r.screen {
			op["x-screen"] = true
		}
		var params []any
		for _, seg := range strings.Split(path, "/") {
			if strings.HasPrefix(seg, "{") {
				params = append(params, map[string]any{"name": strings.Trim(seg, "{}"), "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
			}
		}
		for _, q := range r.query {
			name, desc, _ := strings.Cut(q, ": ")
			params = append(params, map[string]any{"name": name, "in": "query", "description": desc, "schema": map[string]any{"type": "string"}})
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		if r.body != "" {
			op["requestBody"] = map[string]any{"required": true, "description": r.body,
				"content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"type": "object"}}}}
		}
		if paths[path] == nil {
			paths[path] = map[string]any{}
		}
		paths[path][strings.ToLower(method)] = op
	}
	keys := make([]string, 0, len(paths))
	for k := range paths {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	doc := map[string]any{
		"openapi": "3.0.3",
		"info":    map[string]any{"title": "Xiuhua 绣花", "version": "1", "description": "Fine-grained city management: the case loop, places, deadlines, ledgers."},
		"paths":   paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{
				"session": map[string]any{"type": "apiKey", "in": "cookie", "name": sessionCookie, "description": "writes also need X-CSRF-Token"},
				"token":   map[string]any{"type": "http", "scheme": "bearer"},
			},
			"responses": map[string]any{"Problem": map[string]any{"description": "RFC 9457 problem, naming the field",
				"content": map[string]any{"application/problem+json": map[string]any{"schema": map[string]any{"type": "object",
					"properties": map[string]any{"type": map[string]any{"type": "string"}, "title": map[string]any{"type": "string"},
						"status": map[string]any{"type": "integer"}, "detail": map[string]any{"type": "string"},
						"code": map[string]any{"type": "string"}, "field": map[string]any{"type": "string"}}}}}}},
		},
	}
	writeJSON(w, http.StatusOK, doc)
}
