package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// An administrator puts next year's holiday file in force from the command
// line: a wrong file names the wrong entry and changes nothing, a dry run
// changes nothing, the import is listed with who did it, and a district day
// is set and taken back.
func TestCalendarCommands(t *testing.T) {
	bin := binary(t)
	data := t.TempDir()
	good := filepath.Join("..", "..", "internal", "app", "testdata", "holidays-2027-test.json")
	body, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(strings.Replace(string(body), `"date":"2027-01-01"`, `"date":"2027-02-30"`, 1)), 0o644)
	if out, err := exec.Command(bin, "calendar", "import", bad, "-data", data).CombinedOutput(); err == nil || !strings.Contains(string(out), "2027-02-30") {
		t.Fatalf("a wrong file: %v %s", err, out)
	}
	if out := run(t, bin, "calendar", "import", good, "-dry-run", "-data", data); !strings.Contains(out, "would put 2027") {
		t.Fatalf("dry run: %s", out)
	}
	if out := run(t, bin, "calendar", "holidays", "-data", data); strings.Contains(out, "2027") {
		t.Fatalf("a dry run put 2027 in force:\n%s", out)
	}
	if out := run(t, bin, "calendar", "import", good, "-data", data); !strings.Contains(out, "put 2027") || strings.Contains(out, "would") {
		t.Fatalf("import: %s", out)
	}
	if out := run(t, bin, "calendar", "holidays", "-data", data); !strings.Contains(out, "2027") || !strings.Contains(out, "imported") || !strings.Contains(out, "by cli") {
		t.Fatalf("the imported year is not listed with who imported it:\n%s", out)
	}
	if out := run(t, bin, "calendar", "set", "2027-01-05", "off", "-note", "全区停电检修", "-data", data); !strings.Contains(out, "day off") {
		t.Fatalf("set: %s", out)
	}
	if out := run(t, bin, "calendar", "days", "-data", data); !strings.Contains(out, "2027-01-05") || !strings.Contains(out, "全区停电检修") {
		t.Fatalf("days: %s", out)
	}
	// Tuesday 5 January 2027 is off now: a working day from Monday 09:00
	// ends Wednesday 09:00.
	if out := run(t, bin, "calendar", "add", "2027-01-04 09:00", "1d", "-data", data); !strings.Contains(out, "2027-01-06 09:00") {
		t.Fatalf("add over the day off: %s", out)
	}
	run(t, bin, "calendar", "unset", "2027-01-05", "-data", data)
	if out, err := exec.Command(bin, "calendar", "unset", "2027-01-05", "-data", data).CombinedOutput(); err == nil || !strings.Contains(string(out), "no setting for 2027-01-05") {
		t.Fatalf("unset twice: %v %s", err, out)
	}
}
