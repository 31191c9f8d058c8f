package main

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"time"
)

// watchMemory samples the process's resident set every 20 ms and, each time
// it grows by more than 2 MiB past the last peak recorded, writes the
// runtime's memory statistics (prefix.txt) and a heap profile (prefix.heap)
// as they were then. It returns a function that records the final state and
// stops. For profiling only (NHI_MEMPROFILE).
func watchMemory(prefix string) func() {
	done := make(chan struct{})
	finished := make(chan struct{})
	var peak int64
	record := func(rss int64, why string) {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		var b bytes.Buffer
		fmt.Fprintf(&b, "%s rss=%d MiB goroutines=%d\n", why, rss>>20, runtime.NumGoroutine())
		fmt.Fprintf(&b, "HeapAlloc=%d HeapInuse=%d HeapIdle=%d HeapReleased=%d HeapSys=%d MiB\n",
			ms.HeapAlloc>>20, ms.HeapInuse>>20, ms.HeapIdle>>20, ms.HeapReleased>>20, ms.HeapSys>>20)
		fmt.Fprintf(&b, "StackInuse=%d StackSys=%d MSpanSys=%d MCacheSys=%d BuckHashSys=%d GCSys=%d OtherSys=%d Sys=%d MiB\n",
			ms.StackInuse>>20, ms.StackSys>>20, ms.MSpanSys>>20, ms.MCacheSys>>20, ms.BuckHashSys>>20, ms.GCSys>>20, ms.OtherSys>>20, ms.Sys>>20)
		fmt.Fprintf(&b, "NextGC=%d MiB NumGC=%d TotalAlloc=%d MiB Mallocs=%d\n", ms.NextGC>>20, ms.NumGC, ms.TotalAlloc>>20, ms.Mallocs)
		if st, err := os.ReadFile("/proc/self/status"); err == nil {
			for _, l := range bytes.Split(st, []byte("\n")) {
				if bytes.HasPrefix(l, []byte("Rss")) || bytes.HasPrefix(l, []byte("VmHWM")) {
					b.Write(l)
					b.WriteByte('\n')
				}
			}
		}
		_ = os.WriteFile(prefix+".txt", b.Bytes(), 0o600)
		if f, err := os.Create(prefix + ".heap"); err == nil {
			_ = pprof.Lookup("heap").WriteTo(f, 0)
			_ = f.Close()
		}
	}
	go func() {
		defer close(finished)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			if rss := residentBytes(); rss > peak+2<<20 {
				peak = rss
				record(rss, "peak")
			}
		}
	}()
	return func() {
		close(done)
		<-finished
		runtime.GC()
		prefix += ".exit"
		record(residentBytes(), "exit after GC")
	}
}

// residentBytes is the process's resident set size (Linux), 0 elsewhere.
func residentBytes() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := bytes.Fields(b)
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(string(f[1]), 10, 64)
	return pages * int64(os.Getpagesize())
}
