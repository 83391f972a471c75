package bedrocktest

import (
	"crypto/sha256"
	"sync"
	"time"
)

// Retries of clients that send no Amz-Sdk-Request header are counted here: a request with
// the same operation, model and body as one answered within attemptWindow is its next
// attempt.
const (
	attemptWindow     = 60 * time.Second
	maxAttemptEntries = 10000 // the oldest entry goes first when the table is full
)

type attemptKey [sha256.Size]byte

type attemptEntry struct {
	n    int
	last time.Time
}

// attempts counts the attempts of requests by operation, model and body.
type attempts struct {
	mu sync.Mutex
	m  map[attemptKey]attemptEntry
}

func attemptKeyOf(op, model string, body []byte) attemptKey {
	h := sha256.New()
	h.Write([]byte(op))
	h.Write([]byte{0})
	h.Write([]byte(model))
	h.Write([]byte{0})
	h.Write(body)
	var k attemptKey
	h.Sum(k[:0])
	return k
}

// next returns the attempt number of a request with key k arriving at now, and records it.
func (a *attempts) next(k attemptKey, now time.Time) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.m == nil {
		a.m = make(map[attemptKey]attemptEntry)
	}
	e, ok := a.m[k]
	if !ok || now.Sub(e.last) > attemptWindow {
		e = attemptEntry{}
		if !ok && len(a.m) >= maxAttemptEntries {
			a.evict(now)
		}
	}
	e.n++
	e.last = now
	a.m[k] = e
	return e.n
}

// done forgets k: the request was answered without an injected error, so that the same
// request made again starts over at attempt 1.
func (a *attempts) done(k attemptKey) {
	a.mu.Lock()
	delete(a.m, k)
	a.mu.Unlock()
}

// evict drops the entries past the window, or the oldest one if none is.
func (a *attempts) evict(now time.Time) {
	var oldest attemptKey
	var oldestAt time.Time
	for k, e := range a.m {
		if now.Sub(e.last) > attemptWindow {
			delete(a.m, k)
			continue
		}
		if oldestAt.IsZero() || e.last.Before(oldestAt) {
			oldest, oldestAt = k, e.last
		}
	}
	if len(a.m) >= maxAttemptEntries {
		delete(a.m, oldest)
	}
}

func (a *attempts) len() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.m)
}
