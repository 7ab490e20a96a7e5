package identity

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/ids"
)

// maxStaffReads bounds the concurrent user reads of one GetStaff call.
const maxStaffReads = 8

// GetStaff reads staff members of the tenant in ctx by id (ReadStaff), in
// the order asked, once each; ids that are not the tenant's users are
// absent. The users are read concurrently: one round trip of latency for up
// to maxStaffReads distinct people.
func (s *Service) GetStaff(ctx context.Context, userIDs []string) ([]User, error) {
	if _, err := Require(ctx, ReadStaff); err != nil {
		return nil, err
	}
	want := make([]string, 0, len(userIDs))
	for _, id := range userIDs {
		if ids.Valid(ids.User, id) && !slices.Contains(want, id) {
			want = append(want, id)
		}
	}
	found := make([]*User, len(want))
	errs := make([]error, len(want))
	var wg sync.WaitGroup
	sem := make(chan struct{}, maxStaffReads)
	for i, id := range want {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			u, err := s.Store.GetUser(ctx, id)
			switch {
			case err == nil:
				found[i] = &u
			case !apperr.Is(err, apperr.NotFound):
				errs[i] = err
			}
		}()
	}
	wg.Wait()
	out := make([]User, 0, len(want))
	for i := range want {
		if errs[i] != nil {
			return nil, fmt.Errorf("get staff: %w", errs[i])
		}
		if found[i] != nil {
			out = append(out, *found[i])
		}
	}
	return out, nil
}
