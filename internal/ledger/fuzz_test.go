package ledger

import (
	"bytes"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/catalog"
)

// FuzzParseLedger reads any CSV as a ledger: it must never panic, and a
// file it accepts gives one row per data line, each with its number.
func FuzzParseLedger(f *testing.F) {
	f.Add([]byte("案件编号,问题类别,问题描述,经度,纬度,上报时间,结案时间,诉求类型,来电号码,是否同意回访,办理方式,答复内容,满意度,attr:stalls,持续多久\n" +
		"A1,M06011,垃圾,113.35,40.05,2026-01-05 09:30,2026-01-05 10:00,咨询,13912345678,是,直接答复,已答复,满意,3,long\n" +
		"A2,M06011,垃圾,113.35,40.05,2026/1/6 9:30,,投诉,0352-1234567,否,合并,,,,\n"))
	f.Add([]byte("编号,类别,描述,经度,纬度,上报时间,合并至,办理方式\nB1,M06011,x,1,2,46027.5,B0,合并\n"))
	one, fifty := 1.0, 50.0
	qs := map[string][]catalog.Attribute{"M06011": {{Code: "stalls", Question: "摊位数", Datatype: catalog.Number, Min: &one, Max: &fifty},
		{Code: "since", Question: "持续多久", Datatype: catalog.SingleValue, Values: []catalog.Value{{Key: "long", Name: "一周以上"}}}}}
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, b []byte) {
		tb, err := ReadTable("x.csv", bytes.NewReader(b))
		if err != nil {
			return
		}
		rows, err := tb.Parse(nil, Checks{
			Category:  func(v string) (string, bool) { return v, v == "M06011" },
			Case:      func(n string) (int64, bool) { return 7, n == "OLD-1" },
			Questions: qs, Loc: time.UTC, Now: now,
		})
		if err != nil {
			return
		}
		if len(rows) != len(tb.Rows) {
			t.Fatalf("%d rows read, %d parsed", len(tb.Rows), len(rows))
		}
		for _, r := range rows {
			if r.Number == "" || r.Category != "M06011" || r.ReportedAt.IsZero() {
				t.Fatalf("an accepted row without its number, category or time: %+v", r)
			}
		}
	})
}
