// Package config is the one typed place for settings: each has a flag, an
// environment variable (with a _FILE variant for secrets), a default and a
// description, and the README's table is printed from the same list.
package config

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
)

// Config holds the settings of serve and demo.
type Config struct {
	Addr        string
	DataDir     string
	DatabaseURL string
	Synchronous string
	LogFormat   string
	LogLevel    string
}

type setting struct {
	flag, env, def, help string
	secret               bool
	dst                  func(*Config) *string
}

var settings = []setting{
	{"addr", "XIUHUA_ADDR", "127.0.0.1:8080", "HTTP listen address", false, func(c *Config) *string { return &c.Addr }},
	{"data", "XIUHUA_DATA", "./data", "data directory (SQLite file, photos)", false, func(c *Config) *string { return &c.DataDir }},
	{"db", "XIUHUA_DATABASE_URL", "", "postgres:// URL; empty means SQLite in the data directory", true, func(c *Config) *string { return &c.DatabaseURL }},
	{"sqlite-sync", "XIUHUA_SQLITE_SYNC", "FULL", "SQLite synchronous mode: FULL (every commit on disk) or NORMAL", false, func(c *Config) *string { return &c.Synchronous }},
	{"log-format", "XIUHUA_LOG_FORMAT", "text", "log format: text or json", false, func(c *Config) *string { return &c.LogFormat }},
	{"log-level", "XIUHUA_LOG_LEVEL", "info", "log level: debug, info, warn, error", false, func(c *Config) *string { return &c.LogLevel }},
}

// Register adds the settings to a flag set; defaults come from the
// environment (or NAME_FILE for secrets) when set.
func Register(fs *flag.FlagSet, c *Config) error {
	for _, s := range settings {
		def := s.def
		if v, ok := os.LookupEnv(s.env); ok {
			def = v
		} else if s.secret {
			if f, ok := os.LookupEnv(s.env + "_FILE"); ok {
				b, err := os.ReadFile(f)
				if err != nil {
					return fmt.Errorf("config: %s_FILE: %w", s.env, err)
				}
				def = strings.TrimSpace(string(b))
			}
		}
		fs.StringVar(s.dst(c), s.flag, def, s.help+" ($"+s.env+")")
	}
	return nil
}

// Validate checks the settings and says which one is wrong.
func (c *Config) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("-addr %q: %v", c.Addr, err))
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		errs = append(errs, fmt.Errorf("-db must be a postgres:// URL (or empty for SQLite)"))
	}
	if s := strings.ToUpper(c.Synchronous); s != "FULL" && s != "NORMAL" {
		errs = append(errs, fmt.Errorf("-sqlite-sync %q: want FULL or NORMAL", c.Synchronous))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("-log-format %q: want text or json", c.LogFormat))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("-log-level %q: want debug, info, warn or error", c.LogLevel))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("-data must not be empty"))
	}
	return errors.Join(errs...)
}

// Target is the database the store opens.
func (c *Config) Target() string {
	if c.DatabaseURL != "" {
		return c.DatabaseURL
	}
	return filepath.Join(c.DataDir, "xiuhua.db")
}

// Markdown is the settings table for the README.
func Markdown() string {
	var b strings.Builder
	b.WriteString("| flag | environment | default | meaning |\n|---|---|---|---|\n")
	for _, s := range settings {
		env := "`" + s.env + "`"
		if s.secret {
			env += " (or `" + s.env + "_FILE`)"
		}
		def := s.def
		if def == "" {
			def = "(empty)"
		}
		fmt.Fprintf(&b, "| `-%s` | %s | `%s` | %s |\n", s.flag, env, def, s.help)
	}
	return b.String()
}
