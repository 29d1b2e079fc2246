package web

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/xiuhua/xiuhua/internal/access"
	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/photos"
)

// publicUpload takes a resident's photo: the same checks as staff uploads,
// under the public write limit.
func (s *Server) publicUpload(w http.ResponseWriter, r *http.Request) {
	s.uploadPhoto(w, r, access.Principal{Role: caseflow.Resident})
}

func (s *Server) uploadPhoto(w http.ResponseWriter, r *http.Request, _ access.Principal) {
	if s.app.Photos == nil {
		problem(w, http.StatusServiceUnavailable, "unavailable", "", "photo storage is not configured")
		return
	}
	p, err := photos.Store(r.Context(), s.app.Photos, http.MaxBytesReader(w, r.Body, photos.MaxBytes+1), r.ContentLength)
	switch {
	case errors.Is(err, photos.ErrTooLarge) || isMaxBytes(err):
		problem(w, http.StatusRequestEntityTooLarge, "too_large", "", photos.ErrTooLarge.Error())
		return
	case errors.Is(err, photos.ErrPixels):
		problem(w, http.StatusRequestEntityTooLarge, "too_large", "", err.Error())
		return
	case errors.Is(err, photos.ErrBusy):
		w.Header().Set("Retry-After", strconv.Itoa(int(photos.GateWait/time.Second)))
		problem(w, http.StatusServiceUnavailable, "busy", "", err.Error())
		return
	case r.Context().Err() != nil:
		return // the client has gone
	case errors.Is(err, photos.ErrUnsupported):
		problem(w, http.StatusUnsupportedMediaType, "unsupported", "", err.Error())
		return
	case err != nil && p.ID == "":
		problem(w, http.StatusUnprocessableEntity, "invalid", "", err.Error())
		return
	case err != nil:
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": p.ID, "type": p.Type, "width": p.Width, "height": p.Height,
		"public_url": "/api/v1/photos/" + p.ID, "thumb_url": "/api/v1/photos/" + p.ID + "?thumb=1"})
}

func isMaxBytes(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}

// photo serves a photo file as it is read (http.ServeContent: ranges,
// and the type sniffed when contentType is empty), so that a slow reader
// holds a buffer, not the file.
func (s *Server) photo(w http.ResponseWriter, r *http.Request, open func(id string) (photos.File, error), contentType, cache string) {
	id := r.PathValue("id")
	if s.app.Photos == nil || !photos.ValidID(id) {
		problem(w, http.StatusNotFound, "not_found", "", "no such photo")
		return
	}
	f, err := open(id)
	if errors.Is(err, fs.ErrNotExist) {
		problem(w, http.StatusNotFound, "not_found", "", "no such photo")
		return
	}
	if err != nil {
		fail(w, r, err)
		return
	}
	defer f.Close()
	if contentType != "" {
		w.Header().Set("Content-Type", contentType)
	}
	w.Header().Set("Cache-Control", cache)
	http.ServeContent(w, r, "", time.Time{}, f)
}

// publicPhoto serves the EXIF-free copy: anyone may see it.
func (s *Server) publicPhoto(w http.ResponseWriter, r *http.Request) {
	thumb := r.URL.Query().Get("thumb") == "1"
	s.photo(w, r, func(id string) (photos.File, error) { return photos.OpenPublic(r.Context(), s.app.Photos, id, thumb) }, "image/jpeg",
		"public, max-age=31536000, immutable")
}

// originalPhoto serves the file as uploaded (EXIF GPS and device
// included) to staff who may see a case that names the photo as
// evidence. A photo on no case of theirs — or on no case at all, not even
// for the person who uploaded it: there is nothing it is evidence of yet,
// and its public copy shows the picture — answers as a missing photo.
func (s *Server) originalPhoto(w http.ResponseWriter, r *http.Request) {
	s.photo(w, r, func(id string) (photos.File, error) {
		used, seen, err := s.photoSeen(r, id)
		if err != nil || !seen {
			if used && !seen {
				s.outOfScope(r, principal(r))
			}
			return nil, cmp.Or(err, fs.ErrNotExist)
		}
		return photos.OpenOriginal(r.Context(), s.app.Photos, id)
	}, "", "private, no-store")
}

// photoSeen says whether any case names the photo, and whether the
// reader may see one of them.
func (s *Server) photoSeen(r *http.Request, id string) (used, seen bool, err error) {
	cs, err := s.app.Store.PhotoCases(r.Context(), id)
	if err != nil {
		return false, false, err
	}
	p := principal(r)
	return len(cs) > 0, slices.ContainsFunc(cs, func(c *caseflow.Case) bool { return access.CanSee(p, c) }), nil
}

// knownPhotos answers 400 unless every id names an uploaded photo, so a
// case never points at evidence that is not there. A photo already
// evidence on cases the writer may not see is refused as if absent:
// naming it on a case of one's own would open its original.
func (s *Server) knownPhotos(w http.ResponseWriter, r *http.Request, ids []string) bool {
	if len(ids) > 20 {
		problemWith(w, http.StatusBadRequest, "invalid", "photos", map[string]any{"items": 20}, "at most 20 photos")
		return false
	}
	for i, id := range ids {
		field := fmt.Sprintf("photos[%d]", i)
		if !photos.ValidID(id) {
			problem(w, http.StatusBadRequest, "invalid", field, "not a photo id: upload to POST /api/v1/photos first")
			return false
		}
		if s.app.Photos == nil {
			problem(w, http.StatusBadRequest, "invalid", field, "photo storage is not configured")
			return false
		}
		used, seen, err := s.photoSeen(r, id)
		if err != nil {
			fail(w, r, err)
			return false
		}
		if _, err := photos.Public(r.Context(), s.app.Photos, id, true); err != nil || used && !seen {
			problem(w, http.StatusBadRequest, "invalid", field, "no uploaded photo "+id)
			return false
		}
	}
	return true
}
