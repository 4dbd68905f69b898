package cookiefile

// The keys a native file may hold, by place. json.Unmarshal ignores keys it
// does not know, keeps the last of a key given twice and matches keys
// without regard to case: checkKeys makes sure none of that can lose
// anything before the one-pass decode is trusted.
var (
	topKeys    = keySet{"version", "cookies", "deleted"}
	recordKeys = keySet{"name", "value", "domain", "path", "hostOnly", "secure", "httpOnly", "sameSite",
		"partitioned", "quoted", "expires", "created", "lastAccess", "nameBase64", "valueBase64",
		"pathBase64", "updated", "seq", "partitionKey"}
	tombKeys = keySet{"name", "domain", "path", "hostOnly", "partitionKey", "deleted", "nameBase64", "pathBase64", "expiredSet"}
)

// keySet is the keys an object may hold.
type keySet []string

// bit returns the key's bit, or false for a key not in the set.
func (ks keySet) bit(key []byte) (uint32, bool) {
	for i, k := range ks {
		if string(key) == k {
			return 1 << i, true
		}
	}
	return 0, false
}

// checkKeys reports whether the JSON document data has exactly the
// keys of a native file, each written plainly (no escapes), in its own
// case, and at most once per object: at the top "version", "cookies" and
// perhaps "deleted", and in those arrays records of their kind, with no
// other object or array anywhere. With only non-nil, data is one object
// whose keys must be only's. It does not check that data is valid JSON:
// the decode that follows it does.
func checkKeys(data []byte, only keySet) bool {
	type frame struct {
		object bool
		keys   keySet // an object's allowed keys
		seen   uint32
		of     keySet // an array's records' keys
	}
	var stack []frame
	var topKey string // the last key of the top-level object
	opened := false   // the document is an object
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case '"':
			start, escaped := i+1, false
			for i++; i < len(data) && data[i] != '"'; i++ {
				if data[i] == '\\' {
					escaped = true
					i++
				}
			}
			k := i + 1
			for k < len(data) && (data[k] == ' ' || data[k] == '\t' || data[k] == '\n' || data[k] == '\r') {
				k++
			}
			if k >= len(data) || data[k] != ':' {
				continue // a value
			}
			if len(stack) == 0 || !stack[len(stack)-1].object {
				return false
			}
			f := &stack[len(stack)-1]
			bit, ok := f.keys.bit(data[start:i])
			if escaped || !ok || f.seen&bit != 0 {
				return false
			}
			f.seen |= bit
			if len(stack) == 1 {
				topKey = string(data[start:i])
			}
		case '{':
			var keys keySet
			switch {
			case len(stack) == 0 && opened:
				return false
			case len(stack) == 0 && only != nil:
				keys = only
			case len(stack) == 0:
				keys = topKeys
			case len(stack) == 2 && only == nil && !stack[1].object:
				keys = stack[1].of
			default:
				return false
			}
			opened = true
			stack = append(stack, frame{object: true, keys: keys})
		case '[':
			if len(stack) != 1 || only != nil {
				return false
			}
			of := recordKeys
			if topKey == "deleted" {
				of = tombKeys
			} else if topKey != "cookies" {
				return false
			}
			stack = append(stack, frame{of: of})
		case '}', ']':
			if len(stack) == 0 {
				return false
			}
			if len(stack) == 1 && only == nil && stack[0].seen&3 != 3 {
				return false // "version" and "cookies" are required
			}
			stack = stack[:len(stack)-1]
		}
	}
	return opened && len(stack) == 0
}
