package httpsession

// Benchmarks of Save and Load against what any program that keeps records
// in a file pays at least: encoding/json marshalling and unmarshalling of
// the same records, and for a save the same write, fsync and rename
// (internal/safefile). See scripts/bench.sh and BENCHMARKS.md.

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/httpsession/httpsession/internal/cookiefile"
	"github.com/httpsession/httpsession/internal/safefile"
)

// persistSizes are the jar sizes of the Save and Load benchmarks, with the
// workload that has that many cookies.
var persistSizes = []struct{ n, work string }{{"10000", "sites"}, {"100000", "100k"}}

// jsonFile and jsonRecord are the native file as a program that keeps
// records in a file would declare it for encoding/json: the same keys.
type jsonFile struct {
	Version int          `json:"version"`
	Cookies []jsonRecord `json:"cookies"`
}

type jsonRecord struct {
	Name        string     `json:"name"`
	Value       string     `json:"value"`
	Domain      string     `json:"domain"`
	Path        string     `json:"path"`
	HostOnly    bool       `json:"hostOnly"`
	Secure      bool       `json:"secure"`
	HttpOnly    bool       `json:"httpOnly"`
	SameSite    string     `json:"sameSite,omitempty"`
	Partitioned bool       `json:"partitioned,omitempty"`
	Quoted      bool       `json:"quoted,omitempty"`
	Expires     *time.Time `json:"expires,omitempty"`
	Created     time.Time  `json:"created"`
	LastAccess  time.Time  `json:"lastAccess"`
	NameBase64  string     `json:"nameBase64,omitempty"`
	ValueBase64 string     `json:"valueBase64,omitempty"`
	PathBase64  string     `json:"pathBase64,omitempty"`
	Updated     time.Time  `json:"updated"`
	Seq         uint64     `json:"seq,omitempty"`
	Partition   string     `json:"partitionKey,omitempty"`
}

// jsonRecords returns records as jsonRecord (the workloads' text is UTF-8,
// and their SameSite attributes are Lax or none).
func jsonRecords(records []cookiefile.Record) []jsonRecord {
	out := make([]jsonRecord, len(records))
	for i := range records {
		r := &records[i]
		out[i] = jsonRecord{
			Name: r.Name, Value: r.Value, Domain: r.Domain, Path: r.Path, HostOnly: r.HostOnly,
			Secure: r.Secure, HttpOnly: r.HttpOnly, Partitioned: r.Partitioned, Quoted: r.Quoted,
			Created: r.Created, LastAccess: r.LastAccess, Updated: r.Updated, Seq: r.Seq, Partition: r.Partition,
		}
		if r.SameSite != 0 {
			out[i].SameSite = "lax"
		}
		if !r.Expires.IsZero() {
			exp := r.Expires
			out[i].Expires = &exp
		}
	}
	return out
}

// fileRecords returns the records a save of j writes, in file order.
func fileRecords(j *Jar) []cookiefile.Record {
	j.mu.Lock()
	defer j.mu.Unlock()
	var entries []*entry
	j.store.each(func(e *entry) bool { entries = append(entries, e); return true })
	slices.SortFunc(entries, func(a, b *entry) int { return compareCookies(&a.Cookie, &b.Cookie) })
	records := make([]cookiefile.Record, len(entries))
	for i, e := range entries {
		records[i] = toRecord(e)
	}
	return records
}

// persistJar returns our jar holding the cookies of a workload.
func persistJar(work string) *Jar {
	return filled(func() benchJar { return newOurJar() }, workload(work)).(ourJar).Jar
}

func BenchmarkSave(b *testing.B) {
	for _, size := range persistSizes {
		j := persistJar(size.work)
		records := jsonRecords(fileRecords(j))
		b.Run("cookies="+size.n+"/impl=json", func(b *testing.B) {
			b.ReportAllocs()
			path := filepath.Join(b.TempDir(), "cookies.json")
			var n int
			for i := 0; i < b.N; i++ {
				data, err := json.Marshal(jsonFile{Version: 2, Cookies: records})
				if err != nil {
					b.Fatal(err)
				}
				n = len(data)
				err = safefile.WriteFile(path, filePerm, func(w io.Writer) error {
					_, err := w.Write(data)
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(n))
		})
		b.Run("cookies="+size.n+"/impl=ours", func(b *testing.B) {
			b.ReportAllocs()
			path := filepath.Join(b.TempDir(), "cookies.json")
			// The jar saves its own file again and again: nobody else
			// changes it, so a save need not read it back.
			if err := j.Save(path); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := j.Save(path); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			fi, err := os.Stat(path)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(fi.Size())
		})
	}
}

func BenchmarkLoad(b *testing.B) {
	for _, size := range persistSizes {
		path := filepath.Join(b.TempDir(), "cookies.json")
		if err := persistJar(size.work).Save(path); err != nil {
			b.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			b.Fatal(err)
		}
		want, _ := strconv.Atoi(size.n)
		b.Run("cookies="+size.n+"/impl=json", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(fi.Size())
			for i := 0; i < b.N; i++ {
				data, err := os.ReadFile(path)
				if err != nil {
					b.Fatal(err)
				}
				var f jsonFile
				if err := json.Unmarshal(data, &f); err != nil {
					b.Fatal(err)
				}
				if len(f.Cookies) != want {
					b.Fatalf("%d records, want %d", len(f.Cookies), want)
				}
			}
		})
		b.Run("cookies="+size.n+"/impl=ours", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(fi.Size())
			var j *Jar
			for i := 0; i < b.N; i++ {
				j = NewJar(WithLimits(0, 0))
				if err := j.Load(path); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if j.Len() != want {
				b.Fatalf("%d cookies, want %d", j.Len(), want)
			}
		})
	}
}

// BenchmarkAutosaveAsHistoryGrows times one save of a jar holding 100
// cookies, after one change, as the deletions the jar has seen grow from 0
// to 100,000: what the jar and its file remember is bounded
// (MaxTombstones, MaxTombstoneBytes), so the cost stops growing at the
// bound. "own" saves the jar's own file (the usual autosave), "merge" a
// file another jar wrote since (the save reads and merges it).
func BenchmarkAutosaveAsHistoryGrows(b *testing.B) {
	for _, mode := range []string{"own", "merge"} {
		for _, n := range []int{0, 1000, 10000, 100000} {
			b.Run(fmt.Sprintf("%s/tombstones=%d", mode, n), func(b *testing.B) {
				b.ReportAllocs()
				dir := b.TempDir()
				path := filepath.Join(dir, "cookies.json")
				j := NewJar()
				other := NewJar()
				u, _ := url.Parse("https://example.com/")
				for i := range 100 {
					j.SetRawCookies(u, []string{fmt.Sprintf("c%d=v%d; Max-Age=86400", i, i)})
				}
				for i := range n {
					j.Delete("example.com", "/", fmt.Sprintf(".AspNetCore.Correlation.%08x", i))
				}
				if err := j.Save(path); err != nil {
					b.Fatal(err)
				}
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					j.SetRawCookies(u, []string{fmt.Sprintf("views=%d", i)})
					if mode == "merge" {
						b.StopTimer()
						other.SetRawCookies(u, []string{fmt.Sprintf("other=%d", i)})
						if err := other.Save(path); err != nil {
							b.Fatal(err)
						}
						b.StartTimer()
					}
					if err := j.Save(path); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				fi, err := os.Stat(path)
				if err == nil {
					b.ReportMetric(float64(fi.Size()), "file-bytes")
				}
			})
		}
	}
}
