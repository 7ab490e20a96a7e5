package stripemock

import "syscall"

// procAttr has the kernel kill stripe-mock if the test process dies first.
func procAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} }
