package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/xiuhua/xiuhua/internal/alert"
	"github.com/xiuhua/xiuhua/internal/catalog"
	"github.com/xiuhua/xiuhua/internal/places"
	"github.com/xiuhua/xiuhua/internal/store"
)

// cityPlaces answers alert.Places from the divisions, the grid layer in
// force and the catalog.
type cityPlaces struct {
	streets, communities map[string]bool
	public               map[string]bool
	ix                   *places.Index
}

func (p *cityPlaces) IsStreet(code string) bool    { return p.streets[code] }
func (p *cityPlaces) IsCommunity(code string) bool { return p.communities[code] }
func (p *cityPlaces) PublicCategory(id string) bool {
	return p.public[id]
}
func (p *cityPlaces) Inside(lon, lat float64) bool {
	_, err := p.ix.Locate(lon, lat)
	return err == nil
}

// AlertPlaces is what a subscription or an area feed is checked against.
func (a *App) AlertPlaces(ctx context.Context) (alert.Places, error) {
	divs, err := a.Store.Divisions(ctx)
	if err != nil {
		return nil, err
	}
	cats, err := a.Store.Categories(ctx)
	if err != nil {
		return nil, err
	}
	p := &cityPlaces{streets: map[string]bool{}, communities: map[string]bool{}, public: map[string]bool{}, ix: a.Index()}
	for _, d := range divs {
		switch d.Level {
		case places.LevelStreet:
			p.streets[d.Code] = true
		case places.LevelCommunity:
			p.communities[d.Code] = true
		}
	}
	for _, c := range cats {
		if c.Public {
			p.public[c.ID] = true
			// A major class is public when one of its categories is.
			p.public[catalog.MajorClassID(c.ID)] = true
		}
	}
	return p, nil
}

// CheckArea says what is wrong with an area (an *alert.Error), or nil.
func (a *App) CheckArea(ctx context.Context, area alert.Area) error {
	p, err := a.AlertPlaces(ctx)
	if err != nil {
		return err
	}
	return alert.CheckArea(area, p)
}

// IsAlertError reports whether err refuses an area or a subscription.
func IsAlertError(err error) (*alert.Error, bool) {
	var e *alert.Error
	ok := errors.As(err, &e)
	return e, ok
}

// ErrTooManySubscriptions refuses an address that asked for alert.PendingPerDay
// subscriptions in the last day: each sends a confirmation mail.
var ErrTooManySubscriptions = &alert.Error{Field: "email", Code: "rate_limited", Msg: "this address asked for alerts too often today; try again tomorrow"}

// Subscribe checks a resident's subscription and stores it unconfirmed,
// its confirmation mail queued: nothing else is sent before the resident
// follows the link in it.
func (a *App) Subscribe(ctx context.Context, s *alert.Subscription) error {
	p, err := a.AlertPlaces(ctx)
	if err != nil {
		return err
	}
	if err := alert.Check(s, p); err != nil {
		return err
	}
	now := a.Now()
	n, err := a.Store.SubscriptionsSince(ctx, s.Email, now.Add(-24*time.Hour))
	if err != nil {
		return err
	}
	if n >= alert.PendingPerDay {
		return ErrTooManySubscriptions
	}
	return a.Store.CreateSubscription(ctx, s, now)
}

// ConfirmAlert confirms the subscription a confirmation link's token
// belongs to and answers it; an unknown or expired link is
// store.ErrNotFound.
func (a *App) ConfirmAlert(ctx context.Context, token string) (alert.Subscription, error) {
	s, err := a.Store.SubscriptionByToken(ctx, alert.HashToken(token), store.TokenConfirm)
	if err != nil {
		return s, err
	}
	now := a.Now()
	if s.ConfirmedAt.IsZero() && now.Sub(s.CreatedAt) > alert.ConfirmWithin {
		return s, fmt.Errorf("confirmation link: %w", store.ErrNotFound)
	}
	if err := a.Store.ConfirmSubscription(ctx, s.ID, now); err != nil {
		return s, err
	}
	if s.ConfirmedAt.IsZero() {
		s.ConfirmedAt = now
	}
	return s, nil
}

// Unsubscribe deletes the subscription an unsubscribe link's token belongs
// to. An unknown token (a link followed twice) is no error: either way the
// address hears nothing more.
func (a *App) Unsubscribe(ctx context.Context, token string) error {
	s, err := a.Store.SubscriptionByToken(ctx, alert.HashToken(token), store.TokenUnsubscribe)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return a.Store.DeleteSubscription(ctx, s.ID)
}
