package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/hotline"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// Knowledge points are kept whole on both engines: found by each word in
// any field (case-insensitively for Latin letters, and % or _ in a search
// being plain characters), replaced by id only when the id exists, and a
// batch with one missing id writes nothing.
func TestKnowledgeBase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		at := time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)
		pts := []hotline.Point{
			{Category: []string{"城市管理", "环境卫生"}, Title: "生活垃圾清运时间", Content: "每日 6:00—9:00、16:00—19:00 清运，满溢 2 小时内处理。",
				Issuer: "平城区环卫处", Kind: hotline.Guide, Keywords: []string{"垃圾", "清运"}, Scope: "城区", From: "2026-01-01", UpdatedAt: at, UpdatedBy: "admin"},
			{Category: []string{"安全"}, Title: "燃气泄漏 Gas", Content: "立即离开，拨打 119。折扣 100% 不是_通配符",
				Issuer: "消防救援大队", Kind: hotline.Contacts, Keywords: []string{"煤气"}, From: "2025-01-01", Until: "2025-12-31", UpdatedAt: at, UpdatedBy: "admin"},
		}
		if err := s.SaveKnowledge(ctx, pts); err != nil {
			t.Fatal(err)
		}
		if pts[0].ID == 0 || pts[1].ID <= pts[0].ID {
			t.Fatalf("ids: %d %d", pts[0].ID, pts[1].ID)
		}
		find := func(f store.KnowledgeFilter) []int64 {
			t.Helper()
			if f.Limit == 0 {
				f.Limit = 10
			}
			ps, err := s.KnowledgePoints(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, p := range ps {
				ids = append(ids, p.ID)
			}
			return ids
		}
		for _, c := range []struct {
			terms []string
			want  int
		}{{[]string{"垃圾", "城区"}, 1}, {[]string{"gas"}, 1}, {[]string{"100%"}, 1}, {[]string{"%"}, 1}, {[]string{"_"}, 1},
			{[]string{"垃圾", "119"}, 0}, {[]string{"环卫处"}, 1}, {[]string{"城市管理/环境"}, 1}} {
			if got := find(store.KnowledgeFilter{Terms: c.terms}); len(got) != c.want {
				t.Errorf("%q: %v, want %d", c.terms, got, c.want)
			}
		}
		if got := find(store.KnowledgeFilter{Expired: true, Day: "2026-12-04"}); len(got) != 1 || got[0] != pts[1].ID {
			t.Errorf("expired: %v", got)
		}
		if got := find(store.KnowledgeFilter{Before: pts[1].ID}); len(got) != 1 || got[0] != pts[0].ID {
			t.Errorf("paged: %v", got)
		}
		all, expired, err := s.CountKnowledge(ctx, "2026-12-04")
		if err != nil || all != 2 || expired != 1 {
			t.Errorf("counts %d %d %v", all, expired, err)
		}
		// A batch naming a point that does not exist writes nothing.
		changed := pts[0]
		changed.Title = "生活垃圾清运时间（冬季）"
		ghost := pts[0]
		ghost.ID = 999999
		if err := s.SaveKnowledge(ctx, []hotline.Point{changed, ghost}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("want not found, got %v", err)
		}
		if p, _ := s.KnowledgePoint(ctx, pts[0].ID); p.Title != pts[0].Title {
			t.Fatalf("half a batch was written: %q", p.Title)
		}
		if err := s.SaveKnowledge(ctx, []hotline.Point{changed}); err != nil {
			t.Fatal(err)
		}
		p, err := s.KnowledgePoint(ctx, pts[0].ID)
		if err != nil || p.Title != changed.Title || len(p.Keywords) != 2 || p.Category[1] != "环境卫生" || !p.UpdatedAt.Equal(at) {
			t.Fatalf("read back %+v %v", p, err)
		}
		if got := find(store.KnowledgeFilter{Terms: []string{"冬季"}}); len(got) != 1 {
			t.Errorf("the search text follows a change: %v", got)
		}
		if err := s.DeleteKnowledge(ctx, pts[1].ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.KnowledgePoint(ctx, pts[1].ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deleted: %v", err)
		}
		found, _ := s.KnowledgeExist(ctx, []int64{pts[0].ID, pts[1].ID})
		if !found[pts[0].ID] || found[pts[1].ID] {
			t.Errorf("exist: %v", found)
		}
	})
}
