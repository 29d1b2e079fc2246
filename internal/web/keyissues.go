package web

import (
	"errors"
	"net/http"

	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/hotline"
	"github.com/xiuhua/xiuhua/internal/places"
	"github.com/xiuhua/xiuhua/internal/sheet"
)

var keyIssueColumns = []sheet.Column{
	{Header: "清单", Width: 10}, {Header: "名次", Width: 6, Kind: sheet.Int}, {Header: "问题类别", Width: 18}, {Header: "街道", Width: 14},
	{Header: "本月诉求", Width: 9, Kind: sheet.Int}, {Header: "上月诉求", Width: 9, Kind: sheet.Int}, {Header: "增加", Width: 7, Kind: sheet.Int},
	{Header: "重复诉求", Width: 9, Kind: sheet.Int}, {Header: "重复率", Width: 8, Kind: sheet.Percent}, {Header: "类别代码", Width: 9}, {Header: "街道代码", Width: 13},
}

var keyIssueLists = map[string]string{"frequent": "高频", "rising": "上升", "repeats": "重复"}

// keyIssues is 每月一题: a month's most frequent, rising and repeated
// category × street pairs (month=YYYY-MM, the last full month by
// default; channel=hotline for the 12345 orders only), as JSON with the
// names, or as the file (format=csv|xlsx).
func (s *Server) keyIssues(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	fm, ok := format(w, r)
	if !ok {
		return
	}
	n, ok := intParam(w, q, "limit", 10, 1, 100)
	if !ok {
		return
	}
	channel := q.Get("channel")
	if channel != "" && !validChannel(channel) {
		problem(w, http.StatusBadRequest, "invalid", "channel", "channel must be one of patrol, hotline, web, open311, import, video, iot")
		return
	}
	ctx := r.Context()
	l, err := s.app.KeyIssues(ctx, q.Get("month"), channel, n)
	var pe *hotline.PointError
	if errors.As(err, &pe) {
		problem(w, http.StatusBadRequest, "invalid", pe.Field, pe.Msg)
		return
	}
	if err != nil {
		fail(w, r, err)
		return
	}
	cat, err := s.app.Store.Categories(ctx)
	if err != nil {
		fail(w, r, err)
		return
	}
	divs, err := s.app.Store.Divisions(ctx)
	if err != nil {
		fail(w, r, err)
		return
	}
	catName, streetName := map[string]string{}, map[string]string{}
	for _, c := range cat {
		catName[c.ID] = c.Name
	}
	for _, d := range divs {
		if d.Level == places.LevelStreet {
			streetName[d.Code] = d.Name
		}
	}
	if fm == "json" {
		names := map[string]map[string]string{"categories": {}, "streets": {}}
		for _, list := range [][]hotline.KeyIssue{l.Frequent, l.Rising, l.Repeats} {
			for _, k := range list {
				names["categories"][k.Category], names["streets"][k.Street] = catName[k.Category], streetName[k.Street]
			}
		}
		writeJSON(w, http.StatusOK, map[string]any{"lists": l, "names": names,
			"rules": map[string]int{"rise_min": hotline.RiseMin, "repeat_min": hotline.RepeatMin}})
		return
	}
	download(w, sheet.Format(fm), "key-issues-"+l.Month)
	title := "每月一题 " + l.Month
	if channel == string(caseflow.ChannelHotline) {
		title += " 12345热线"
	}
	sw, err := sheet.New(sheet.Format(fm), w, title, keyIssueColumns, calendar.Shanghai)
	if err != nil {
		fail(w, r, err)
		return
	}
	for _, list := range [][]hotline.KeyIssue{l.Frequent, l.Rising, l.Repeats} {
		for _, k := range list {
			if err := sw.Row(keyIssueLists[k.Why], k.Rank, catName[k.Category], streetName[k.Street], k.Count, k.Prev, k.Rise, k.Repeats, k.Rate, k.Category, k.Street); err != nil {
				return
			}
		}
	}
	_ = sw.Close()
}

func validChannel(c string) bool {
	for _, x := range caseflow.Channels {
		if string(x) == c {
			return true
		}
	}
	return false
}
