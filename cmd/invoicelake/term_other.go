//go:build !unix

package main

import "io"

// terminalWidth returns 80: the width is asked only on Unix.
func terminalWidth(io.Writer) int { return 80 }
