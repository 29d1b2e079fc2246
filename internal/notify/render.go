package notify

import (
	"embed"
	"encoding/json"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua/internal/calendar"
)

// The words of each message kind, per language: messages/<lang>.json,
// keys notice.<kind> with {param} placeholders, and <param>.<value> for
// the coded values (role.lead, step.handle ...).
//
//go:embed messages/*.json
var messageFiles embed.FS

// Languages are the catalogs there are; the first is the default.
var Languages = []string{"zh-CN", "en"}

var catalogs = func() map[string]map[string]string {
	m := map[string]map[string]string{}
	for _, l := range Languages {
		b, err := messageFiles.ReadFile("messages/" + l + ".json")
		if err != nil {
			panic(err)
		}
		c := map[string]string{}
		if err := json.Unmarshal(b, &c); err != nil {
			panic("notify: catalog " + l + ": " + err.Error())
		}
		m[l] = c
	}
	return m
}()

// Lang is the catalog for a language tag: English for any "en…", else
// Chinese.
func Lang(tag string) string {
	if strings.HasPrefix(strings.ToLower(strings.TrimSpace(tag)), "en") {
		return "en"
	}
	return "zh-CN"
}

// timeParams are the parameters that hold instants.
var timeParams = map[string]bool{"due": true, "missed": true, "at": true}

// Render words a message of kind with its parameters in lang. Instants
// are shown in Beijing time, coded values by their catalog words; a kind
// the catalog does not know is shown by its code, never dropped.
func Render(lang, kind string, p Params) string {
	c := catalogs[Lang(lang)]
	tpl, ok := c["notice."+kind]
	if !ok {
		return kind
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(tpl, '{')
		if i < 0 {
			break
		}
		j := strings.IndexByte(tpl[i:], '}')
		if j < 0 {
			break
		}
		b.WriteString(tpl[:i])
		b.WriteString(value(c, tpl[i+1:i+j], p[tpl[i+1:i+j]]))
		tpl = tpl[i+j+1:]
	}
	b.WriteString(tpl)
	return strings.TrimSpace(b.String())
}

func value(c map[string]string, name, v string) string {
	if name == "link" { // the follow link, worded, or nothing when there is none
		if v == "" {
			return ""
		}
		return strings.ReplaceAll(c["link"], "{url}", v)
	}
	if timeParams[name] {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return "—"
		}
		return t.In(calendar.Shanghai).Format("01-02 15:04")
	}
	if w, ok := c[name+"."+v]; ok {
		return w
	}
	return v
}
