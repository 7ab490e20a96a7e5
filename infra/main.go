// Command infra is the renkei AWS CDK app: it synthesizes the CloudFormation
// template for the serverless backend. Run it through `make synth` (offline,
// needs node) or `npx aws-cdk@2 deploy` from the repository root.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

func main() {
	defer jsii.Close()

	var dirs [4]string
	for i, fn := range []string{"api", "scheduler", "dispatcher", "worker"} {
		dir, err := codeDir(fn)
		if err != nil {
			fmt.Fprintln(os.Stderr, "renkei infra:", err)
			os.Exit(1)
		}
		dirs[i] = dir
	}
	console, err := consoleDir()
	if err != nil {
		fmt.Fprintln(os.Stderr, "renkei infra:", err)
		os.Exit(1)
	}
	cdkContext, err := loadCDKContext(filepath.Join(repoRoot, "cdk.json"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "renkei infra:", err)
		os.Exit(1)
	}

	app := awscdk.NewApp(&awscdk.AppProps{
		Outdir:  jsii.String(outDir()),
		Context: &cdkContext,
	})
	NewRenkeiStack(app, envOr("RENKEI_STACK_NAME", "Renkei"), &RenkeiStackProps{
		StackProps: awscdk.StackProps{
			Description: jsii.String("renkei serverless multi-tenant POS backend"),
			Env:         deployEnv(),
		},
		ApiCodeDir:        dirs[0],
		SchedulerCodeDir:  dirs[1],
		DispatcherCodeDir: dirs[2],
		WorkerCodeDir:     dirs[3],
		ConsoleDir:        console,
		// The back office's pages Stripe's onboarding returns to.
		StripeConnectReturnURL:  os.Getenv("RENKEI_STRIPE_CONNECT_RETURN_URL"),
		StripeConnectRefreshURL: os.Getenv("RENKEI_STRIPE_CONNECT_REFRESH_URL"),
		// renkei's freee app (not a secret; its client secret is one).
		FreeeClientID: os.Getenv("RENKEI_FREEE_CLIENT_ID"),
	})
	app.Synth(nil)
}

// repoRoot is where cdk.json lives and where the CDK CLI runs; cdk.json's app
// command is `cd infra && go run .`, so it is always the parent directory.
const repoRoot = ".."

// outDir is where the cloud assembly goes: CDK_OUTDIR, else cdk.out.
//
// The CDK CLI passes its --output (cdk.json: infra/cdk.out) in CDK_OUTDIR
// unchanged, relative to its own working directory, the repository root,
// while this process runs in infra/. Under the CLI (which also sets
// CDK_CLI_VERSION) a relative CDK_OUTDIR is therefore resolved against the
// root, or the CLI would not find the assembly it asked for.
func outDir() string {
	dir := envOr("CDK_OUTDIR", "cdk.out")
	if os.Getenv("CDK_CLI_VERSION") != "" && !filepath.IsAbs(dir) {
		dir = filepath.Join(repoRoot, dir)
	}
	return dir
}

// codeDir is where `make build` puts a function's bootstrap binary
// (build/<fn>), or RENKEI_<FN>_CODE_DIR.
func codeDir(fn string) (string, error) {
	env := "RENKEI_" + strings.ToUpper(fn) + "_CODE_DIR"
	dir, err := filepath.Abs(envOr(env, filepath.Join(repoRoot, "build", fn)))
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(dir, "bootstrap")); err != nil {
		return "", fmt.Errorf("no %s bootstrap binary in %s (run `make build` first or set %s): %w", fn, dir, env, err)
	}
	return dir, nil
}

// consoleDir is where `make console` puts the built console (console/dist),
// or RENKEI_CONSOLE_DIR. Synthesis refuses a folder without index.html and
// assets/ rather than deploying a placeholder: the deployment prunes, so an
// empty console would replace the merchants' working one.
func consoleDir() (string, error) {
	const env = "RENKEI_CONSOLE_DIR"
	dir, err := filepath.Abs(envOr(env, filepath.Join(repoRoot, "console", "dist")))
	if err != nil {
		return "", err
	}
	for _, name := range []string{"index.html", "assets"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			return "", fmt.Errorf("no built console in %s (run `make console` first or set %s): %w", dir, env, err)
		}
	}
	return dir, nil
}

// deployEnv pins the stack to the account/region the CDK CLI resolved from
// the caller's credentials; without them (offline synth) the stack stays
// environment-agnostic.
func deployEnv() *awscdk.Environment {
	var env awscdk.Environment
	// Either may be unknown (no credentials: region only); an empty string
	// is not a valid value, a missing one is.
	if account := os.Getenv("CDK_DEFAULT_ACCOUNT"); account != "" {
		env.Account = jsii.String(account)
	}
	if region := os.Getenv("CDK_DEFAULT_REGION"); region != "" {
		env.Region = jsii.String(region)
	}
	if env.Account == nil && env.Region == nil {
		return nil
	}
	return &env
}

func envOr(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}
