package ensemulator

import (
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"sigs.k8s.io/yaml"
)

// AllActions is the fault key that applies to every action without a
// fault of its own.
const AllActions = "*"

// Fault is what goes wrong with one action.
type Fault struct {
	// Code answered by failing calls; default Throttling. HTTPStatus
	// defaults to the status ENS uses for the code.
	Code       string `json:"code,omitempty"`
	HTTPStatus int    `json:"httpStatus,omitempty"`
	// Rate is the probability (0..1) that a call fails.
	Rate float64 `json:"rate,omitempty"`
	// FailNext fails that many next calls, then counts down to zero.
	FailNext int `json:"failNext,omitempty"`
	// Applied runs a failing call before answering the error, like a
	// response lost after the cloud acted.
	Applied bool `json:"applied,omitempty"`
	// Latency is added to every call.
	Latency time.Duration `json:"-"`
	// Visibility hides a resource created by this action (CreateLoadBalancer,
	// CreateEipInstance) from Describe calls for that long.
	Visibility time.Duration `json:"-"`
}

// faultJSON is the wire form of a Fault: durations as strings ("250ms").
type faultJSON struct {
	Code       string  `json:"code,omitempty"`
	HTTPStatus int     `json:"httpStatus,omitempty"`
	Rate       float64 `json:"rate,omitempty"`
	FailNext   int     `json:"failNext,omitempty"`
	Applied    bool    `json:"applied,omitempty"`
	Latency    string  `json:"latency,omitempty"`
	Visibility string  `json:"visibility,omitempty"`
}

// MarshalJSON writes durations as Go duration strings.
func (f Fault) MarshalJSON() ([]byte, error) {
	return json.Marshal(faultJSON{Code: f.Code, HTTPStatus: f.HTTPStatus, Rate: f.Rate, FailNext: f.FailNext,
		Applied: f.Applied, Latency: durString(f.Latency), Visibility: durString(f.Visibility)})
}

// UnmarshalJSON reads durations as Go duration strings.
func (f *Fault) UnmarshalJSON(raw []byte) error {
	var j faultJSON
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return err
	}
	out := Fault{Code: j.Code, HTTPStatus: j.HTTPStatus, Rate: j.Rate, FailNext: j.FailNext, Applied: j.Applied}
	var err error
	if out.Latency, err = parseDur(j.Latency); err != nil {
		return fmt.Errorf("latency: %w", err)
	}
	if out.Visibility, err = parseDur(j.Visibility); err != nil {
		return fmt.Errorf("visibility: %w", err)
	}
	*f = out
	return out.validate()
}

func durString(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return d.String()
}

func parseDur(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	return time.ParseDuration(s)
}

func (f Fault) validate() error {
	if f.Rate < 0 || f.Rate > 1 {
		return fmt.Errorf("rate %v is not within 0..1", f.Rate)
	}
	if f.FailNext < 0 || f.Latency < 0 || f.Visibility < 0 {
		return fmt.Errorf("failNext, latency and visibility must not be negative")
	}
	if f.HTTPStatus != 0 && (f.HTTPStatus < 400 || f.HTTPStatus > 599) {
		return fmt.Errorf("httpStatus %d is not an error status", f.HTTPStatus)
	}
	return nil
}

// answer is the error a failing call gets.
func (f Fault) answer(action string) *apiError {
	code := cmp.Or(f.Code, CodeThrottling)
	return &apiError{Status: cmp.Or(f.HTTPStatus, StatusForCode(code)), Code: code,
		Message: fmt.Sprintf("Injected fault for %s.", action)}
}

// ParseFaultFlag parses the --fault flag value
// ACTION=CODE:RATE[,latency=D][,visibility=D][,failnext=N][,status=S][,applied].
// The CODE:RATE part may be left out when only other keys are given.
func ParseFaultFlag(s string) (string, Fault, error) {
	action, spec, ok := strings.Cut(s, "=")
	if !ok || action == "" {
		return "", Fault{}, fmt.Errorf("fault %q: want ACTION=CODE:RATE[,key=value...]", s)
	}
	var f Fault
	for i, part := range strings.Split(spec, ",") {
		if err := f.setFlagPart(part, i == 0); err != nil {
			return "", Fault{}, fmt.Errorf("fault %q: %w", s, err)
		}
	}
	if err := f.validate(); err != nil {
		return "", Fault{}, fmt.Errorf("fault %q: %w", s, err)
	}
	return action, f, nil
}

func (f *Fault) setFlagPart(part string, first bool) error {
	key, val, isKV := strings.Cut(part, "=")
	var err error
	switch {
	case first && !isKV && strings.Contains(part, ":"):
		code, rate, _ := strings.Cut(part, ":")
		f.Code = code
		f.Rate, err = strconv.ParseFloat(rate, 64)
	case part == "applied":
		f.Applied = true
	case key == "latency":
		f.Latency, err = time.ParseDuration(val)
	case key == "visibility":
		f.Visibility, err = time.ParseDuration(val)
	case key == "failnext" || key == "failNext":
		f.FailNext, err = strconv.Atoi(val)
	case key == "status":
		f.HTTPStatus, err = strconv.Atoi(val)
	case key == "code":
		f.Code = val
	case key == "rate":
		f.Rate, err = strconv.ParseFloat(val, 64)
	default:
		return fmt.Errorf("unknown part %q", part)
	}
	return err
}

// ParseFaults reads a faults document (YAML or JSON): a map from action
// name (or "*") to Fault.
func ParseFaults(raw []byte) (map[string]Fault, error) {
	asJSON, err := yaml.YAMLToJSON(raw)
	if err != nil {
		return nil, err
	}
	faults := map[string]Fault{}
	if err := json.Unmarshal(asJSON, &faults); err != nil {
		return nil, err
	}
	return faults, nil
}

// LoadFaultsFile reads a faults file (see ParseFaults).
func LoadFaultsFile(path string) (map[string]Fault, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	faults, err := ParseFaults(raw)
	if err != nil {
		return nil, fmt.Errorf("parse faults %s: %w", path, err)
	}
	return faults, nil
}

// faultFor returns the fault that applies to an action. Callers hold mu.
func (e *Emulator) faultFor(action string) (Fault, string, bool) {
	if f, ok := e.faults[action]; ok {
		return f, action, true
	}
	f, ok := e.faults[AllActions]
	return f, AllActions, ok
}

// injectedError decides whether this call fails, counting FailNext down.
// Callers hold mu.
func (e *Emulator) injectedError(action string) (*apiError, bool) {
	f, key, ok := e.faultFor(action)
	if !ok {
		return nil, false
	}
	if f.FailNext > 0 {
		f.FailNext--
		e.faults[key] = f
		return f.answer(action), f.Applied
	}
	if f.Rate > 0 && e.rng.Float64() < f.Rate {
		return f.answer(action), f.Applied
	}
	return nil, false
}
