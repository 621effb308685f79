package ens

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth"
	sdkcredentials "github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	sdkens "github.com/aliyun/alibaba-cloud-sdk-go/services/ens"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/client-go/util/flowcontrol"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
)

// Client talks to the ENS OpenAPI through the Alibaba Cloud SDK. It is safe
// for concurrent use.
type Client struct {
	cfg       ClientConfig
	creds     *credentialSource
	transport http.RoundTripper
	// actions are the per-action token buckets (Config.APILimits over
	// DocumentedLimits); limiter is the optional overall cap on top.
	actions *actionLimiters
	limiter flowcontrol.RateLimiter
	metrics *metrics
}

var _ cloud.Cloud = (*Client)(nil)

// Option changes how NewClient builds a client.
type Option func(*options)

type options struct {
	registerer prometheus.Registerer
	limiter    flowcontrol.RateLimiter
}

// WithMetricsRegisterer registers the client's ens_api_* metrics on reg.
// Without it the metrics are kept but not exported.
func WithMetricsRegisterer(reg prometheus.Registerer) Option {
	return func(o *options) { o.registerer = reg }
}

// WithRateLimiter replaces the overall cap built from Config.QPS/Burst.
// Wait is called once before every HTTP request, after the action's own
// bucket admitted it.
func WithRateLimiter(l flowcontrol.RateLimiter) Option {
	return func(o *options) { o.limiter = l }
}

// NewClient checks cfg, applies defaults and returns a client. No request is
// sent until a method is called.
func NewClient(cfg ClientConfig, opts ...Option) (*Client, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	c := &Client{cfg: cfg, creds: newCredentialSource(cfg), transport: newTransport(cfg), limiter: o.limiter, metrics: newMetrics()}
	c.actions = newActionLimiters(cfg.APILimits, clock.RealClock{}, c.metrics)
	if c.limiter == nil && cfg.QPS > 0 {
		c.limiter = flowcontrol.NewTokenBucketRateLimiter(float32(cfg.QPS), cfg.Burst)
	}
	if o.registerer != nil {
		if err := c.metrics.register(o.registerer); err != nil {
			return nil, fmt.Errorf("registering ENS metrics: %w", err)
		}
	}
	// Building one SDK client now reports a bad region at start-up.
	if _, err := c.sdkClient(context.Background(), c.creds.get(klog.Background())); err != nil {
		return nil, fmt.Errorf("ens config: %w", err)
	}
	return c, nil
}

func newTransport(cfg ClientConfig) *http.Transport {
	return &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:     &tls.Config{InsecureSkipVerify: cfg.InsecureSkipVerify}, //nolint:gosec // opt-in, for the emulator
		TLSHandshakeTimeout: 10 * time.Second,
		MaxIdleConnsPerHost: 16,
		IdleConnTimeout:     90 * time.Second,
	}
}

// ctxTransport binds every request to the call's context so that no SDK
// call outlives it. It is deliberately not an *http.Transport: the SDK
// rewrites the dialer and TLS settings of an *http.Transport on every
// request, which would race between concurrent calls.
type ctxTransport struct {
	ctx  context.Context
	base http.RoundTripper
}

func (t *ctxTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return t.base.RoundTrip(req.WithContext(t.ctx))
}

// sdkClient builds an SDK client for one call. The SDK client keeps
// per-request state (timeouts) in shared fields, so each call gets its own;
// building one is cheap and the HTTP transport (connections) is shared.
func (c *Client) sdkClient(ctx context.Context, creds credentials) (*sdkens.Client, error) {
	config := sdk.NewConfig().WithScheme(c.cfg.Scheme).WithAutoRetry(false)
	config.Transport = &ctxTransport{ctx: ctx, base: c.transport}
	var cred auth.Credential
	if creds.securityToken != "" {
		cred = sdkcredentials.NewStsTokenCredential(creds.accessKeyID, creds.accessKeySecret, creds.securityToken)
	} else {
		cred = sdkcredentials.NewAccessKeyCredential(creds.accessKeyID, creds.accessKeySecret)
	}
	client, err := sdkens.NewClientWithOptions(c.cfg.Region, config, cred)
	if err != nil {
		return nil, err
	}
	client.Domain = c.cfg.Endpoint
	client.SetReadTimeout(c.cfg.Timeout)
	return client, nil
}

// APILimit is the client-side budget of an action (Config.APILimits over
// DocumentedLimits), before any backing off.
func (c *Client) APILimit(action string) Limit { return c.actions.limit(action) }

// call runs one ENS request: rate limits, per-call timeout, a fresh SDK
// client with the current credentials, error classification, backing off
// a throttled action, metrics and logging. fn makes the SDK call and keeps
// the response.
func (c *Client) call(ctx context.Context, action string, fn func(*sdkens.Client) error) error {
	logger := klog.FromContext(ctx).WithValues("action", action)
	if err := c.waitForTurn(ctx, action); err != nil {
		return &cloud.TransportError{Action: action, Err: fmt.Errorf("waiting for the client-side rate limiter: %w", err)}
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	creds := c.creds.get(logger)
	client, err := c.sdkClient(ctx, creds)
	if err != nil {
		return classify(action, err)
	}
	start := time.Now()
	err = redactError(invoke(action, client, fn), creds)
	elapsed := time.Since(start)
	c.metrics.observe(action, metricCode(err), elapsed)
	if isThrottlingAnswer(err) {
		c.actions.throttled(action)
	}
	if err != nil {
		logger.V(2).Info("ENS call failed", "err", err, "duration", elapsed)
		return err
	}
	logger.V(4).Info("ENS call", "duration", elapsed)
	return nil
}

// waitForTurn waits for the action's own bucket, then for the overall cap.
func (c *Client) waitForTurn(ctx context.Context, action string) error {
	if err := c.actions.wait(ctx, action); err != nil {
		return err
	}
	if c.limiter != nil {
		return c.limiter.Wait(ctx)
	}
	return nil
}

// isThrottlingAnswer reports whether ENS itself refused the call for its
// rate limits (not a transport failure).
func isThrottlingAnswer(err error) bool {
	var apiErr *cloud.APIError
	return errors.As(err, &apiErr) && errors.Is(apiErr, cloud.ErrThrottled)
}

// sdkRequest is what every SDK request has: the action name for metrics,
// logs and errors.
type sdkRequest interface{ GetActionName() string }

// send runs one SDK method through call and returns its response. method is
// a method expression such as (*sdkens.Client).DescribeInstances, so that one
// helper serves every action.
func send[Req sdkRequest, Resp any](ctx context.Context, c *Client, method func(*sdkens.Client, Req) (Resp, error), req Req) (Resp, error) {
	var resp Resp
	err := c.call(ctx, req.GetActionName(), func(cl *sdkens.Client) (err error) {
		resp, err = method(cl, req)
		return err
	})
	return resp, err
}

// invoke runs the SDK call and classifies its error. The SDK panics on some
// malformed answers (a numeric error Code); that must not take the
// controller down, so it becomes an error.
func invoke(action string, client *sdkens.Client, fn func(*sdkens.Client) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &cloud.APIError{Action: action, Code: "SDK.Panic", Message: fmt.Sprintf("the SDK failed on the answer: %v", r)}
		}
	}()
	return classify(action, fn(client))
}
