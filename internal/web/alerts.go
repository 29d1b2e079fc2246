package web

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/xiuhua/xiuhua/internal/alert"
	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/notify/channel"
	"github.com/xiuhua/xiuhua/internal/publish"
	"github.com/xiuhua/xiuhua/internal/store"
)

// Area alerts (订阅 / 区域提醒): a resident subscribes an e-mail address to
// a street, a community or a circle drawn on the board's map, optionally
// to some categories; a confirmation mail's link confirms (double opt-in:
// nothing else is sent before); every mail carries a one-click unsubscribe
// link and List-Unsubscribe headers (RFC 8058). The address is never shown
// back, not even to the one who typed it.

// AlertArea is an area as the board shows it back: its kind and names.
type AlertArea struct {
	Kind       string        `json:"kind"` // street, community or circle
	Street     string        `json:"street,omitempty"`
	Community  string        `json:"community,omitempty"`
	Name       string        `json:"name,omitempty"`
	Circle     *alert.Circle `json:"circle,omitempty"`
	Categories []string      `json:"categories"`
	Names      []string      `json:"category_names"`
	Confirmed  bool          `json:"confirmed"`
}

func (s *Server) alertErr(w http.ResponseWriter, r *http.Request, err error) {
	if e, ok := app.IsAlertError(err); ok {
		status := http.StatusBadRequest
		if e.Code == "rate_limited" {
			// The day's count for the address: an hour is a fair wait to name.
			status = http.StatusTooManyRequests
			w.Header().Set("Retry-After", "3600")
		}
		problemWith(w, status, e.Code, e.Field, e.Params, e.Msg)
		return
	}
	fail(w, r, err)
}

// WithAlerts says whether area alerts can be sent (a mail server is
// configured); without, subscriptions are refused. On by default.
func WithAlerts(on bool) Option {
	return func(s *Server) { s.alertsOff = !on }
}

// subscribe is POST /api/v1/public/alerts.
func (s *Server) subscribe(w http.ResponseWriter, r *http.Request) {
	if s.alertsOff {
		problem(w, http.StatusServiceUnavailable, "alerts_off", "", "this site sends no mail: area alerts are off (the feeds work)")
		return
	}
	var in struct {
		Email      string   `json:"email"`
		Street     string   `json:"street"`
		Community  string   `json:"community"`
		Lon        *float64 `json:"lon"`
		Lat        *float64 `json:"lat"`
		Radius     *float64 `json:"radius"`
		Categories []string `json:"categories"`
		Lang       string   `json:"lang"`
	}
	if !decode(w, r, &in) {
		return
	}
	sub := alert.Subscription{Email: in.Email, Area: alert.Area{Street: in.Street, Community: in.Community}, Categories: in.Categories, Lang: in.Lang}
	if in.Lon != nil || in.Lat != nil || in.Radius != nil {
		switch {
		case in.Lon == nil:
			problem(w, http.StatusBadRequest, "required", "lon", "a circle needs lon, lat and radius")
			return
		case in.Lat == nil:
			problem(w, http.StatusBadRequest, "required", "lat", "a circle needs lon, lat and radius")
			return
		case in.Radius == nil:
			problem(w, http.StatusBadRequest, "required", "radius", "a circle needs lon, lat and radius")
			return
		}
		sub.Area.Circle = &alert.Circle{Lon: *in.Lon, Lat: *in.Lat, Radius: *in.Radius}
	}
	if err := s.app.Subscribe(r.Context(), &sub); err != nil {
		s.alertErr(w, r, err)
		return
	}
	// The same answer whoever the address belongs to: nothing about it.
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "confirmation_sent"})
}

// alertArea is a subscription as the board shows it back, without its
// address.
func (s *Server) alertArea(ctx context.Context, sub alert.Subscription) (AlertArea, error) {
	names, err := s.divisionNames(ctx)
	if err != nil {
		return AlertArea{}, err
	}
	cats, err := s.publicCategories(ctx)
	if err != nil {
		return AlertArea{}, err
	}
	a := AlertArea{Kind: sub.Area.Kind(), Street: sub.Area.Street, Community: sub.Area.Community, Circle: sub.Area.Circle,
		Categories: append([]string{}, sub.Categories...), Names: []string{}, Confirmed: !sub.ConfirmedAt.IsZero()}
	a.Name = names[cmpOr(sub.Area.Community, sub.Area.Street)]
	for _, c := range sub.Categories {
		a.Names = append(a.Names, cmpOr(cats[c], c))
	}
	return a, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// linkToken reads a link's token from the body ({"token": …}) or the path.
func linkToken(w http.ResponseWriter, r *http.Request) (string, bool) {
	if t := r.PathValue("token"); t != "" {
		return t, true
	}
	var in struct {
		Token string `json:"token"`
	}
	if !decode(w, r, &in) {
		return "", false
	}
	if in.Token == "" || len(in.Token) > 100 {
		problem(w, http.StatusBadRequest, "required", "token", "the token of the link in the mail")
		return "", false
	}
	return in.Token, true
}

// confirmAlert is POST /api/v1/public/alerts/confirm.
func (s *Server) confirmAlert(w http.ResponseWriter, r *http.Request) {
	token, ok := linkToken(w, r)
	if !ok {
		return
	}
	sub, err := s.app.ConfirmAlert(r.Context(), token)
	if errors.Is(err, store.ErrNotFound) {
		problem(w, http.StatusNotFound, "not_found", "token", "this link is unknown or has expired: subscribe again")
		return
	}
	if err != nil {
		fail(w, r, err)
		return
	}
	a, err := s.alertArea(r.Context(), sub)
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

// unsubscribe is POST /api/v1/public/alerts/unsubscribe (the page) and
// POST /alerts/unsubscribe/{token}, the List-Unsubscribe URL a mail client
// posts "List-Unsubscribe=One-Click" to (RFC 8058). Either way it answers
// the same, known token or not.
func (s *Server) unsubscribe(w http.ResponseWriter, r *http.Request) {
	var token string
	if t := r.PathValue("token"); t != "" {
		// RFC 8058: a form body; anything else the mail client adds is
		// ignored, and no cookie or CSRF token is asked for (the token is
		// the proof).
		io.Copy(io.Discard, http.MaxBytesReader(w, r.Body, 4096))
		token = t
	} else {
		var ok bool
		if token, ok = linkToken(w, r); !ok {
			return
		}
	}
	if err := s.app.Unsubscribe(r.Context(), token); err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "unsubscribed"})
}

// MailWriter writes the alert mails (watch.AlertWriter) in the
// subscriber's language from the board's message catalogs, with links to
// the site at its public address.
type MailWriter struct {
	app  *app.App
	base string
	srv  *Server
}

// NewMailWriter writes mails whose links start at publicURL.
func NewMailWriter(a *app.App, publicURL string) *MailWriter {
	return &MailWriter{app: a, base: strings.TrimSuffix(publicURL, "/"), srv: &Server{app: a}}
}

func (m *MailWriter) unsubscribeURL(token string) string {
	return m.base + "/alerts/unsubscribe/" + token
}

// areaText names an area in lang.
func (m *MailWriter) areaText(ctx context.Context, lang string, sub alert.Subscription) (string, error) {
	a, err := m.srv.alertArea(ctx, sub)
	if err != nil {
		return "", err
	}
	text := a.Name
	if c := sub.Area.Circle; c != nil {
		text = say(lang, "mail.area.circle", "r", strconv.Itoa(int(c.Radius)), "lat", strconv.FormatFloat(c.Lat, 'f', 4, 64),
			"lon", strconv.FormatFloat(c.Lon, 'f', 4, 64))
	}
	if len(a.Names) > 0 {
		text += say(lang, "mail.categories", "list", strings.Join(a.Names, say(lang, "mail.list.sep")))
	}
	return text, nil
}

// Confirmation is the mail asking to confirm a subscription.
func (m *MailWriter) Confirmation(ctx context.Context, sub alert.Subscription, confirm, unsub string) (channel.Message, error) {
	area, err := m.areaText(ctx, sub.Lang, sub)
	if err != nil {
		return channel.Message{}, err
	}
	l := sub.Lang
	return channel.Message{Subject: say(l, "mail.confirm.subject"), Level: channel.LevelInfo, Unsubscribe: m.unsubscribeURL(unsub),
		Text: say(l, "mail.confirm.body", "area", area, "confirm", m.base+"/alerts/confirm/"+confirm, "unsubscribe", m.unsubscribeURL(unsub)) +
			"\n\n" + say(l, "mail.footer")}, nil
}

// Alert is the mail telling of one newly public case: what the board
// shows of it and its follow link.
func (m *MailWriter) Alert(ctx context.Context, sub alert.Subscription, caseID int64, unsub string) (channel.Message, bool, error) {
	c, err := m.app.Store.Case(ctx, caseID)
	if err != nil {
		return channel.Message{}, false, err
	}
	cats, err := m.srv.publicCategories(ctx)
	if err != nil {
		return channel.Message{}, false, err
	}
	pv := publish.Decide(c, cats[c.CategoryID] != "", publish.List)
	if !pv.Show || !pv.Place {
		return channel.Message{}, false, nil
	}
	names, err := m.srv.divisionNames(ctx)
	if err != nil {
		return channel.Message{}, false, err
	}
	area, err := m.areaText(ctx, sub.Lang, sub)
	if err != nil {
		return channel.Message{}, false, err
	}
	l := sub.Lang
	return channel.Message{Subject: say(l, "mail.alert.subject", "category", cats[c.CategoryID], "place", placeName(c, names)),
		Level: channel.LevelInfo, Unsubscribe: m.unsubscribeURL(unsub),
		Text: say(l, "mail.alert.body", "area", area, "category", cats[c.CategoryID], "number", c.Number, "summary", caseSummary(l, c, pv, names),
			"follow", FollowURL(m.base, c.Number), "unsubscribe", m.unsubscribeURL(unsub)) + "\n\n" + say(l, "mail.footer")}, true, nil
}
