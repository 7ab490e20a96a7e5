package stripepay

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/renkei-pos/renkei/shared/apperr"
)

// PresentPath is the simulator's card reader, served in local mode only.
const PresentPath = "/simulator/terminal/present"

// Handler serves POST /simulator/terminal/present with the JSON body
// {"paymentIntentId": "pi_sim_…", "paymentMethod": "pm_card_visa"}: the
// card reader taps a test card on a card-present intent. It answers 200
// {"id","status","declineCode"} (a decline is a 200 too: the reader read
// the card), or 4xx {"error":{"code","message"}}. Mount it in local mode
// only; it has no authentication.
func (s *Simulator) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeJSON(w, http.StatusMethodNotAllowed, errorBody(apperr.Invalid, "POST only"))
			return
		}
		var in struct{ PaymentIntentID, PaymentMethod string }
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&in); err != nil || in.PaymentIntentID == "" {
			writeJSON(w, http.StatusBadRequest, errorBody(apperr.Invalid, `send {"paymentIntentId": "pi_sim_…", "paymentMethod": "pm_card_visa"}`))
			return
		}
		intent, err := s.PresentCard(in.PaymentIntentID, in.PaymentMethod)
		var e *apperr.Error
		switch {
		case err == nil || apperr.Is(err, apperr.PaymentDeclined):
			writeJSON(w, http.StatusOK, map[string]string{"id": intent.ID, "status": string(intent.Status), "declineCode": intent.DeclineCode})
		case errors.As(err, &e) && e.Code == apperr.NotFound:
			writeJSON(w, http.StatusNotFound, errorBody(e.Code, e.Message))
		case errors.As(err, &e) && (e.Code == apperr.Invalid || e.Code == apperr.Conflict):
			status := http.StatusConflict
			if e.Code == apperr.Invalid {
				status = http.StatusBadRequest
			}
			writeJSON(w, status, errorBody(e.Code, e.Message))
		default:
			writeJSON(w, http.StatusInternalServerError, errorBody(apperr.Internal, "the simulator failed"))
		}
	})
}

func errorBody(code apperr.Code, msg string) map[string]any {
	return map[string]any{"error": map[string]string{"code": string(code), "message": msg}}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
