package sqslocal

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/Admiral-Piett/goaws/app/gosqs"
	"github.com/Admiral-Piett/goaws/app/models"
	"github.com/Admiral-Piett/goaws/app/router"
	"github.com/sirupsen/logrus"
)

const (
	// Region and AccountID appear in queue ARNs; they match production's shape.
	Region    = "ap-northeast-1"
	AccountID = "000000000000"

	// tick is how often goaws re-shows messages whose visibility timeout has
	// passed and redrives them; goaws's own main uses one second too.
	tick = time.Second
)

// ErrAlreadyRunning is returned by Start while another Server is running in
// this process: goaws's queues live in package-level state.
var ErrAlreadyRunning = errors.New("sqslocal: a goaws server is already running in this process")

var running atomic.Bool

// Options configures Start.
type Options struct {
	// Port to listen on, on 127.0.0.1. 0 picks a free one.
	Port int
}

// Server is a running in-process goaws.
type Server struct {
	srv        *http.Server
	addr       string
	cancelReqs context.CancelFunc // ends in-flight long polls on Stop
	quit       chan bool          // stops goaws's periodic tasks
	tasksDone  chan struct{}
	serveDone  chan struct{}

	stopOnce sync.Once
	stopErr  error
}

// Start configures goaws, starts its periodic tasks and serves it on
// 127.0.0.1. Queues start empty. It fails with ErrAlreadyRunning if another
// Server in this process has not been stopped.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if !running.CompareAndSwap(false, true) {
		return nil, ErrAlreadyRunning
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(opts.Port)))
	if err != nil {
		running.Store(false)
		return nil, fmt.Errorf("sqslocal listen: %w", err)
	}
	configure(ln.Addr().(*net.TCPAddr).Port)

	reqCtx, cancel := context.WithCancel(context.Background())
	s := &Server{
		addr:       ln.Addr().String(),
		cancelReqs: cancel,
		quit:       make(chan bool),
		tasksDone:  make(chan struct{}),
		serveDone:  make(chan struct{}),
		srv: &http.Server{
			Handler:           router.New(),
			ReadHeaderTimeout: 10 * time.Second,
			BaseContext:       func(net.Listener) context.Context { return reqCtx },
		},
	}
	go func() {
		defer close(s.tasksDone)
		gosqs.PeriodicTasks(tick, s.quit)
	}()
	go func() {
		defer close(s.serveDone)
		s.srv.Serve(ln) // returns http.ErrServerClosed after Shutdown
	}()
	return s, nil
}

// configure replaces what goaws's main would load from goaws.yaml. Calling
// conf.LoadYamlConfig instead is a trap: with no file name it walks the
// working directory tree looking for any goaws.yaml.
func configure(port int) {
	// goaws logs a warning for every receive on an empty queue, which a
	// poller does constantly; errors (bad requests) still show. logrus's
	// standard logger is global, so this applies process-wide.
	logrus.SetLevel(logrus.ErrorLevel)
	models.CurrentEnvironment = models.Environment{
		Host:      "127.0.0.1",
		Port:      strconv.Itoa(port),
		Region:    Region,
		AccountID: AccountID,
		QueueAttributeDefaults: models.EnvQueueAttributes{
			VisibilityTimeout:      30,
			MaximumMessageSize:     262144,
			MessageRetentionPeriod: 345600,
		},
	}
	models.LogMessages = false
	models.ResetResources()
}

// Endpoint is the base URL for SDK clients, e.g. http://127.0.0.1:4100.
// Queue URLs that goaws returns have a host of "<region>.127.0.0.1", which
// does not resolve: always dial Endpoint, as the SDK's BaseEndpoint does.
func (s *Server) Endpoint() string {
	return "http://" + s.addr
}

// Stop ends in-flight long polls, shuts the HTTP server down within ctx,
// stops the periodic tasks and forgets all queues, so a later Start begins
// empty. It is safe to call more than once.
func (s *Server) Stop(ctx context.Context) error {
	s.stopOnce.Do(func() { s.stopErr = s.stop(ctx) })
	return s.stopErr
}

func (s *Server) stop(ctx context.Context) error {
	s.cancelReqs()
	err := s.srv.Shutdown(ctx)
	if err != nil {
		s.srv.Close() // ctx expired: drop the connections that are left
		err = fmt.Errorf("sqslocal shutdown: %w", err)
	}
	<-s.serveDone
	close(s.quit)
	<-s.tasksDone
	models.ResetResources()
	running.Store(false)
	return err
}
