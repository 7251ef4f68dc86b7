// Command goverifier checks a served congkhai site with the Go project's own transparency-log
// libraries, golang.org/x/mod/sumdb/note (C2SP signed notes) and golang.org/x/mod/sumdb/tlog
// (RFC 6962 / RFC 9162 Merkle trees), sharing no code with congkhai.
//
// It reads only what the web server serves under the site's base URL, plus the office's
// verifier key given on the command line:
//
//	goverifier -url http://127.0.0.1:8080/ -vkey 'origin+1a2b3c4d+AT...'
//
// and checks:
//   - the latest checkpoint (nhat-ky-cong-khai/checkpoint) and every checkpoint
//     nhat-ky-cong-khai/checkpoints/<N> (N = 1 .. lines of the log): signed by the key
//     (note.Open), and its root is the Merkle tree head of the first N lines of the served
//     publication-log.jsonl (each line without its newline is a leaf: tlog.RecordHash,
//     tlog.StoredHashes, tlog.TreeHash);
//   - each checkpoint extends the previous one (tlog.ProveTree over the log, tlog.CheckTree);
//   - every proof file a record page links (proof-<seq>.tlog-proof, C2SP tlog-proof): its
//     checkpoint is signed by the key and the log line at its index is in that tree
//     (tlog.CheckRecord); every logged event of a served record page has its proof.
//
// One line per check ("OK ..." or "FAIL ..."); exit status 1 when any check fails, 2 when the
// log itself cannot be read.
package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const (
	logDir      = "nhat-ky-cong-khai/"
	logFile     = logDir + "publication-log.jsonl"
	latest      = logDir + "checkpoint"
	checkpoints = logDir + "checkpoints/"
	proofHeader = "c2sp.org/tlog-proof@v1"
)

var proofLink = regexp.MustCompile(`href="(proof-(\d+)\.tlog-proof)"`)

type checker struct {
	base     *url.URL
	client   *http.Client
	verifier note.Verifiers
	origin   string
	lines    [][]byte
	hashes   []tlog.Hash
	failed   bool
}

func (c *checker) ok(format string, args ...any) {
	fmt.Printf("OK %s\n", fmt.Sprintf(format, args...))
}

func (c *checker) fail(format string, args ...any) {
	c.failed = true
	fmt.Printf("FAIL %s\n", fmt.Sprintf(format, args...))
}

// get returns the served bytes of path (relative to the base URL); found is false on 404.
func (c *checker) get(path string) (data []byte, found bool, err error) {
	ref, err := url.Parse(path)
	if err != nil {
		return nil, false, err
	}
	resp, err := c.client.Get(c.base.ResolveReference(ref).String())
	if err != nil {
		return nil, false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil, false, nil
	}
	if resp.StatusCode != http.StatusOK {
		return nil, false, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	data, err = io.ReadAll(resp.Body)
	return data, err == nil, err
}

func (c *checker) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(c.hashes)) {
			return nil, fmt.Errorf("hash index %d not stored", x)
		}
		out[i] = c.hashes[x]
	}
	return out, nil
}

// readLog loads the served log and stores the tree's hashes, record by record.
func (c *checker) readLog() error {
	data, found, err := c.get(logFile)
	if err != nil || !found {
		return fmt.Errorf("%s: not served (%v)", logFile, err)
	}
	if len(data) == 0 || data[len(data)-1] != '\n' {
		return fmt.Errorf("%s: empty or not ending with a newline", logFile)
	}
	c.lines = bytes.Split(data[:len(data)-1], []byte("\n"))
	for n, line := range c.lines {
		stored, err := tlog.StoredHashes(int64(n), line, c)
		if err != nil {
			return err
		}
		c.hashes = append(c.hashes, stored...)
	}
	c.ok("%s: %d lines read", logFile, len(c.lines))
	return nil
}

type tree struct {
	size int64
	root tlog.Hash
}

// openCheckpoint verifies the note's signature and parses its body: origin, size, root.
func (c *checker) openCheckpoint(msg []byte) (tree, error) {
	n, err := note.Open(msg, c.verifier)
	if err != nil {
		return tree{}, fmt.Errorf("signature: %v", err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 || lines[0] == "" {
		return tree{}, errors.New("not a tlog-checkpoint (origin, size, root)")
	}
	if lines[0] != c.origin {
		return tree{}, fmt.Errorf("origin %q is not the key's name", lines[0])
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || lines[1] != strconv.FormatInt(size, 10) {
		return tree{}, fmt.Errorf("size %q is not a number", lines[1])
	}
	raw, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(raw) != tlog.HashSize {
		return tree{}, fmt.Errorf("root %q is not a base64 SHA-256 hash", lines[2])
	}
	var root tlog.Hash
	copy(root[:], raw)
	return tree{size, root}, nil
}

// matchesLog compares a tree with the head of the served log's first t.size lines.
func (c *checker) matchesLog(t tree) error {
	if t.size < 1 || t.size > int64(len(c.lines)) {
		return fmt.Errorf("size %d, the served log has %d lines", t.size, len(c.lines))
	}
	head, err := tlog.TreeHash(t.size, c)
	if err != nil {
		return err
	}
	if head != t.root {
		return fmt.Errorf("root %s is not the head %s of the log's first %d lines", t.root, head, t.size)
	}
	return nil
}

func (c *checker) checkCheckpoint(path string, msg []byte) (tree, bool) {
	t, err := c.openCheckpoint(msg)
	if err == nil {
		err = c.matchesLog(t)
	}
	if err != nil {
		c.fail("%s: %v", path, err)
		return t, false
	}
	c.ok("%s: signed, size %d, root matches the log", path, t.size)
	return t, true
}

func (c *checker) checkCheckpoints() []tree {
	if msg, found, err := c.get(latest); err != nil || !found {
		c.fail("%s: not served (%v)", latest, err)
	} else if t, good := c.checkCheckpoint(latest, msg); good && t.size != int64(len(c.lines)) {
		c.fail("%s: size %d, the served log has %d lines", latest, t.size, len(c.lines))
	}
	var trees []tree
	for n := 1; n <= len(c.lines); n++ {
		path := checkpoints + strconv.Itoa(n)
		msg, found, err := c.get(path)
		if err != nil {
			c.fail("%s: %v", path, err)
			continue
		}
		if !found {
			continue
		}
		t, good := c.checkCheckpoint(path, msg)
		if good && t.size != int64(n) {
			c.fail("%s: holds size %d", path, t.size)
			continue
		}
		if good {
			trees = append(trees, t)
		}
	}
	if len(trees) == 0 {
		c.fail("%s: no checkpoint served", checkpoints)
	}
	return trees
}

// checkConsistency proves each checkpoint's tree a prefix of the next one's.
func (c *checker) checkConsistency(trees []tree) {
	for i := 1; i < len(trees); i++ {
		old, cur := trees[i-1], trees[i]
		proof, err := tlog.ProveTree(cur.size, old.size, c)
		if err == nil {
			err = tlog.CheckTree(proof, cur.size, cur.root, old.size, old.root)
		}
		if err != nil {
			c.fail("consistency %d -> %d: %v", old.size, cur.size, err)
			continue
		}
		c.ok("consistency %d -> %d: %d hashes", old.size, cur.size, len(proof))
	}
}

// parseProof reads a C2SP tlog-proof: header, optional "extra", "index N", base64 hashes,
// an empty line, then the checkpoint note.
func parseProof(data []byte) (int64, tlog.RecordProof, []byte, error) {
	head, msg, found := bytes.Cut(data, []byte("\n\n"))
	if !found {
		return 0, nil, nil, errors.New("no empty line before the checkpoint")
	}
	lines := strings.Split(string(head), "\n")
	if lines[0] != proofHeader {
		return 0, nil, nil, fmt.Errorf("first line %q is not %s", lines[0], proofHeader)
	}
	lines = lines[1:]
	if len(lines) > 0 && strings.HasPrefix(lines[0], "extra ") {
		lines = lines[1:]
	}
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "index ") {
		return 0, nil, nil, errors.New("no index line")
	}
	index, err := strconv.ParseInt(strings.TrimPrefix(lines[0], "index "), 10, 64)
	if err != nil || index < 0 {
		return 0, nil, nil, fmt.Errorf("index %q is not a number", lines[0])
	}
	var proof tlog.RecordProof
	for _, line := range lines[1:] {
		raw, err := base64.StdEncoding.DecodeString(line)
		if err != nil || len(raw) != tlog.HashSize {
			return 0, nil, nil, fmt.Errorf("hash %q is not a base64 SHA-256 hash", line)
		}
		var h tlog.Hash
		copy(h[:], raw)
		proof = append(proof, h)
	}
	// The checkpoint keeps its own last newline: the empty line is the separator only.
	return index, proof, append([]byte{}, msg...), nil
}

func (c *checker) checkProof(path string, seq int64, data []byte) {
	index, proof, msg, err := parseProof(data)
	if err != nil {
		c.fail("%s: %v", path, err)
		return
	}
	if index != seq-1 {
		c.fail("%s: index %d, not event %d", path, index, seq)
		return
	}
	t, err := c.openCheckpoint(msg)
	if err != nil {
		c.fail("%s: checkpoint: %v", path, err)
		return
	}
	if index >= int64(len(c.lines)) || index >= t.size {
		c.fail("%s: index %d outside the tree of %d (log: %d lines)", path, index, t.size, len(c.lines))
		return
	}
	if err := tlog.CheckRecord(proof, t.size, t.root, index, tlog.RecordHash(c.lines[index])); err != nil {
		c.fail("%s: line %d of the log is not in checkpoint %d: %v", path, seq, t.size, err)
		return
	}
	if err := c.matchesLog(t); err != nil {
		c.fail("%s: checkpoint: %v", path, err)
		return
	}
	c.ok("%s: line %d is in checkpoint %d", path, seq, t.size)
}

type event struct {
	Seq int64  `json:"seq"`
	ID  string `json:"id"`
}

// checkProofs reads every record page the log names and checks the proof files it links.
func (c *checker) checkProofs(size int64) {
	bySeq := map[string][]int64{}
	var pages []string
	for n, line := range c.lines {
		var e event
		if err := json.Unmarshal(line, &e); err != nil || e.ID == "" || e.Seq != int64(n+1) {
			c.fail("%s: line %d: no seq %d and id", logFile, n+1, n+1)
			continue
		}
		page := e.ID + "/"
		if _, seen := bySeq[page]; !seen {
			pages = append(pages, page)
		}
		bySeq[page] = append(bySeq[page], e.Seq)
	}
	sort.Strings(pages)
	for _, page := range pages {
		html, found, err := c.get(page)
		if err != nil {
			c.fail("%s: %v", page, err)
			continue
		}
		if !found {
			c.ok("%s: not served (not a public record), no proof to check", page)
			continue
		}
		linked := map[int64]string{}
		for _, m := range proofLink.FindAllSubmatch(html, -1) {
			seq, _ := strconv.ParseInt(string(m[2]), 10, 64)
			linked[seq] = string(m[1])
		}
		for _, seq := range bySeq[page] {
			if _, ok := linked[seq]; !ok && seq <= size {
				c.fail("%s: no proof linked for event %d", page, seq)
			}
		}
		seqs := make([]int64, 0, len(linked))
		for seq := range linked {
			seqs = append(seqs, seq)
		}
		sort.Slice(seqs, func(i, j int) bool { return seqs[i] < seqs[j] })
		for _, seq := range seqs {
			path := page + linked[seq]
			data, found, err := c.get(path)
			if err != nil || !found {
				c.fail("%s: not served (%v)", path, err)
				continue
			}
			c.checkProof(path, seq, data)
		}
	}
}

func main() {
	base := flag.String("url", "", "the site's base URL, e.g. http://127.0.0.1:8080/")
	vkey := flag.String("vkey", "", "the office's verifier key: <origin>+<key hash>+<base64(0x01 || Ed25519 key)>")
	flag.Parse()
	if *base == "" || *vkey == "" || flag.NArg() != 0 {
		flag.Usage()
		os.Exit(2)
	}
	v, err := note.NewVerifier(*vkey)
	if err != nil {
		fmt.Fprintf(os.Stderr, "-vkey: %v\n", err)
		os.Exit(2)
	}
	u, err := url.Parse(strings.TrimSuffix(*base, "/") + "/")
	if err != nil {
		fmt.Fprintf(os.Stderr, "-url: %v\n", err)
		os.Exit(2)
	}
	c := &checker{base: u, client: &http.Client{Timeout: 30 * time.Second}, verifier: note.VerifierList(v), origin: v.Name()}
	if err := c.readLog(); err != nil {
		fmt.Printf("FAIL %v\n", err)
		os.Exit(2)
	}
	trees := c.checkCheckpoints()
	c.checkConsistency(trees)
	c.checkProofs(int64(len(c.lines)))
	if c.failed {
		os.Exit(1)
	}
}
