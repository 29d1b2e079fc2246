package alarm

import (
	"errors"
	"testing"
)

// FuzzParse: any body read as either push format never panics; it is
// refused naming a field, or every alarm it gives passes Check.
func FuzzParse(f *testing.F) {
	f.Add(true, []byte(`{"method": "OnEventNotify", "params": {"ability": "event_vss", "events": [{"eventId": "1", "status": 1, "srcIndex": "c", "eventType": 131588, "happenTime": "2026-12-07T09:00:00.000+08:00", "data": {"confidence": 87, "picUrl": "/p"}}]}}`))
	f.Add(false, []byte(`{"source": "s", "device": "d", "event_id": "e", "event_type": "illegal_parking", "confidence": 0.8, "at": "2026-12-07T09:00:00+08:00", "snapshots": [{"data": "aGVsbG8="}, {"ref": "x"}], "box": {"x": 0.1, "y": 0.1, "w": 0.2, "h": 0.2}}`))
	f.Add(false, []byte(`{"alarms": [{"source": "s", "device": "d", "event_id": "e", "event_type": "x", "at": "2026-12-07T09:00:00Z", "phase": "stop"}]}`))
	f.Fuzz(func(t *testing.T, hik bool, body []byte) {
		format := Generic
		if hik {
			format = Hikvision
		}
		got, err := Parse(format, "src", body)
		if err != nil {
			var p *Problem
			if !errors.As(err, &p) || p.Field == "" {
				t.Fatalf("refused without a field: %v", err)
			}
			return
		}
		for i := range got {
			if p := Check(&got[i]); p != nil {
				t.Fatalf("alarm %d accepted but fails Check: %v", i, p)
			}
		}
	})
}
