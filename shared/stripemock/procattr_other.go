//go:build !linux

package stripemock

import "syscall"

// procAttr: elsewhere Stop (in tb.Cleanup) is what ends stripe-mock.
func procAttr() *syscall.SysProcAttr { return nil }
