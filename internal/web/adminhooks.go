package web

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/xiuhua/xiuhua/internal/access"
	"github.com/xiuhua/xiuhua/internal/store"
)

// Webhook subscribers on the admin pages, as on the command line (xiuhua
// webhook): add one (its secret is shown once), pause and resume it, follow
// its deliveries and send a parked one again. Every change is audited.

// adminAddWebhook subscribes a URL to topics; with no secret given one is
// made, and either way the answer is the only time it is shown.
func (s *Server) adminAddWebhook(w http.ResponseWriter, r *http.Request, p access.Principal) {
	var in struct {
		URL    string   `json:"url"`
		Topics []string `json:"topics"`
		Secret string   `json:"secret"`
	}
	if !decode(w, r, &in) {
		return
	}
	in.URL = strings.TrimSpace(in.URL)
	if in.URL == "" {
		problem(w, http.StatusBadRequest, "required", "url", "the subscriber's URL is required")
		return
	}
	topics := make([]string, 0, len(in.Topics))
	for _, t := range in.Topics {
		if t = strings.TrimSpace(t); t != "" {
			topics = append(topics, t)
		}
	}
	if len(in.Topics) == 0 {
		topics = []string{"*"}
	}
	if in.Secret == "" {
		b := make([]byte, 24)
		rand.Read(b)
		in.Secret = hex.EncodeToString(b)
	}
	h := &store.Webhook{URL: in.URL, Secret: in.Secret, Topics: topics, CreatedAt: s.app.Now()}
	var we *store.WebhookError
	if err := h.Validate(); errors.As(err, &we) {
		problem(w, http.StatusBadRequest, "invalid", we.Field, we.Msg)
		return
	}
	if err := s.app.Store.CreateWebhook(r.Context(), h); err != nil {
		fail(w, r, err)
		return
	}
	_ = s.app.Store.Audit(r.Context(), s.app.Now(), p.Username, p.AccountID, "webhook_added", client(r),
		fmt.Sprintf("#%d %s %s", h.ID, h.URL, strings.Join(h.Topics, ",")))
	writeJSON(w, http.StatusCreated, map[string]any{"webhook": h, "secret": h.Secret,
		"signature": `X-Xiuhua-Signature = sha256=HMAC-SHA256(secret, X-Xiuhua-Timestamp + "." + body)`})
}

// webhookID reads the {id} of a webhook route, answering when it is wrong.
func webhookID(w http.ResponseWriter, r *http.Request, what string) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		problem(w, http.StatusBadRequest, "invalid", "id", "the "+what+" id is a whole number")
		return 0, false
	}
	return id, true
}

// adminSetWebhook pauses (active=false) or resumes a subscriber. Paused, it
// is sent nothing; resumed, it gets what happened meanwhile.
func (s *Server) adminSetWebhook(w http.ResponseWriter, r *http.Request, p access.Principal) {
	id, ok := webhookID(w, r, "webhook")
	if !ok {
		return
	}
	var in struct {
		Active *bool `json:"active"`
	}
	if !decode(w, r, &in) {
		return
	}
	if in.Active == nil {
		problem(w, http.StatusBadRequest, "required", "active", "active is required: false to pause, true to resume")
		return
	}
	err := s.app.Store.SetWebhookActive(r.Context(), id, *in.Active)
	if errors.Is(err, store.ErrNotFound) {
		problem(w, http.StatusNotFound, "not_found", "id", fmt.Sprintf("no webhook #%d", id))
		return
	}
	if err != nil {
		fail(w, r, err)
		return
	}
	event := "webhook_paused"
	if *in.Active {
		event = "webhook_resumed"
	}
	h, err := s.app.Store.Webhook(r.Context(), id)
	if err != nil {
		fail(w, r, err)
		return
	}
	_ = s.app.Store.Audit(r.Context(), s.app.Now(), p.Username, p.AccountID, event, client(r), fmt.Sprintf("#%d %s", id, h.URL))
	writeJSON(w, http.StatusOK, h)
}

// adminDeliveries lists a subscriber's deliveries, newest first: state
// narrows them, before pages them (next_before of the previous page), limit
// is 1–200 (default 50).
func (s *Server) adminDeliveries(w http.ResponseWriter, r *http.Request, _ access.Principal) {
	id, ok := webhookID(w, r, "webhook")
	if !ok {
		return
	}
	q := r.URL.Query()
	state := q.Get("state")
	switch state {
	case "", store.DeliveryPending, store.DeliveryDone, store.DeliveryParked:
	default:
		problem(w, http.StatusBadRequest, "invalid", "state", "state must be pending, done or parked")
		return
	}
	limit, before := 50, int64(0)
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 200 {
			problem(w, http.StatusBadRequest, "invalid", "limit", "limit must be 1–200")
			return
		}
		limit = n
	}
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			problem(w, http.StatusBadRequest, "invalid", "before", "before is a delivery id (next_before)")
			return
		}
		before = n
	}
	if _, err := s.app.Store.Webhook(r.Context(), id); errors.Is(err, store.ErrNotFound) {
		problem(w, http.StatusNotFound, "not_found", "id", fmt.Sprintf("no webhook #%d", id))
		return
	} else if err != nil {
		fail(w, r, err)
		return
	}
	ds, err := s.app.Store.WebhookDeliveries(r.Context(), id, state, before, limit)
	if err != nil {
		fail(w, r, err)
		return
	}
	out := map[string]any{"deliveries": ds}
	if len(ds) == limit {
		out["next_before"] = ds[len(ds)-1].ID
	}
	writeJSON(w, http.StatusOK, out)
}

// adminReplay sends a parked delivery again from now.
func (s *Server) adminReplay(w http.ResponseWriter, r *http.Request, p access.Principal) {
	id, ok := webhookID(w, r, "delivery")
	if !ok {
		return
	}
	d, err := s.app.Store.DeliveryByID(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		problem(w, http.StatusNotFound, "not_found", "id", fmt.Sprintf("no delivery #%d", id))
		return
	}
	if err != nil {
		fail(w, r, err)
		return
	}
	if d.State != store.DeliveryParked {
		problem(w, http.StatusConflict, "conflict", "state", fmt.Sprintf("delivery #%d is %s: only a parked delivery is sent again", id, d.State))
		return
	}
	n, err := s.app.Store.Replay(r.Context(), id, 0, s.app.Now())
	if err != nil {
		fail(w, r, err)
		return
	}
	if n == 0 { // taken by someone else meanwhile
		problem(w, http.StatusConflict, "conflict", "state", fmt.Sprintf("delivery #%d is no longer parked", id))
		return
	}
	_ = s.app.Store.Audit(r.Context(), s.app.Now(), p.Username, p.AccountID, "delivery_replayed", client(r),
		fmt.Sprintf("delivery #%d of webhook #%d (%s)", id, d.WebhookID, d.Topic))
	if d, err = s.app.Store.DeliveryByID(r.Context(), id); err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

// adminReplayAll sends every parked delivery of a subscriber again from
// now, as after a day when it was down.
func (s *Server) adminReplayAll(w http.ResponseWriter, r *http.Request, p access.Principal) {
	id, ok := webhookID(w, r, "webhook")
	if !ok {
		return
	}
	h, err := s.app.Store.Webhook(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		problem(w, http.StatusNotFound, "not_found", "id", fmt.Sprintf("no webhook #%d", id))
		return
	}
	if err != nil {
		fail(w, r, err)
		return
	}
	n, err := s.app.Store.Replay(r.Context(), 0, id, s.app.Now())
	if err != nil {
		fail(w, r, err)
		return
	}
	if n > 0 {
		_ = s.app.Store.Audit(r.Context(), s.app.Now(), p.Username, p.AccountID, "delivery_replayed", client(r),
			fmt.Sprintf("%d parked deliveries of webhook #%d (%s)", n, id, h.URL))
	}
	writeJSON(w, http.StatusOK, map[string]any{"replayed": n})
}
