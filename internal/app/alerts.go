package app

import (
	"context"
	"errors"

	"github.com/xiuhua/xiuhua/internal/alert"
	"github.com/xiuhua/xiuhua/internal/catalog"
	"github.com/xiuhua/xiuhua/internal/places"
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
