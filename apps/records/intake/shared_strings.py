"""A workbook's shared-strings table within a fixed memory budget: beyond it, strings spill to a temporary file.

Excel stores each distinct text of a workbook once, in ``xl/sharedStrings.xml``, and cells refer to it by
position. It is the one part of an .xlsx a reader cannot stream: a cell anywhere may refer to any string.
Held whole in Python it grew the reader by ~0.4 KB a row of the national template (91 → 112 → 199 MB from
25 k to 400 k rows), so the import's memory depended on the file. Here it costs at most
``SPREADSHEET_SHARED_STRINGS_MEMORY_MB`` however large the table:

* the first strings stay in a list, up to half the budget. Excel numbers strings by first use, so these
  are the header and the values every row repeats (categories, departments, the authority's name);
* every later string is appended to an unlinked temporary file (its UTF-8 bytes) with its end offset in a
  second one (8 bytes a string, so nothing per string stays in memory either), and kept in a cache bounded
  by the other half of the budget, oldest dropped first. A row refers mostly to strings read just before
  it (its own new values, read in steps as the rows need them) or to the first ones, so the disk is
  touched only for a string first used long ago and repeated now; each such read is two ``pread`` calls,
  and the string is cached again.

The table is read lazily, as far as the rows read so far need (a header check needs only the first few
strings). The files go to ``FILE_UPLOAD_TEMP_DIR`` (the system's temporary directory when unset), are
unlinked from the start and so vanish with the process; their size is bounded by the table's own limit
(``SPREADSHEET_MAX_SHARED_STRINGS_MB`` inflated, checked by the guards).
"""

import itertools
import os
import sys
import tempfile
from array import array
from collections import OrderedDict
from collections.abc import Iterator

from .guards import UploadError

# Strings parsed at a time when a row refers past what is read: resuming the XML parser for each one
# would cost the import a noticeable share of its time.
STEP = 8192
# What a cached string costs beyond its own object: the OrderedDict entry, its link and its int key.
_CACHE_ENTRY = 150
_LIST_SLOT = 8


class SharedStrings:
    def __init__(self, strings: Iterator[str] | None, budget_bytes: int, spill_dir: str | None = None):
        self._spill_dir = spill_dir  # None: the system's temporary folder
        self._left = strings  # the table's strings in order, parsed on demand; None: no table
        # Indices [0, len(head)) — read directly by the row loop (``head[i]``), the fast path.
        self.head: list[str] = []
        self._head_budget = budget_bytes // 2
        self._head_bytes = 0
        self._head_full = False
        # OrderedDict, not dict: dropping the oldest from a plain dict leaves holes that ``next(iter())``
        # scans past, quadratic over a large file; popitem(last=False) is O(1).
        self._cache: OrderedDict[int, str] = OrderedDict()
        self._cache_budget = budget_bytes - self._head_budget
        self._cache_bytes = 0
        self.count = 0  # strings read from the table so far
        self.spilled = 0  # of which written to the temporary files
        self.disk_reads = 0
        self._data = self._ends = None
        self._data_size = 0

    @property
    def memory_bytes(self) -> int:
        """The estimated memory held (the two budgeted parts), for tests and the benchmark."""
        return self._head_bytes + self._cache_bytes

    def get(self, index: int, row: int) -> str:
        """String ``index`` (cited by sheet row ``row``); a bad index is a damaged file."""
        head = self.head
        if index < 0:
            raise self._damaged(row)
        if index < len(head):
            return head[index]
        text = self._cache.get(index)
        if text is not None:
            return text
        if index >= self.count:
            self._read_to(index)
            if index < len(head):
                return head[index]
            text = self._cache.get(index)
            if text is not None:
                return text
            if index >= self.count:
                raise self._damaged(row)
        return self._from_disk(index)

    @staticmethod
    def _damaged(row: int) -> UploadError:
        return UploadError(f"第{row}行：工作簿的共享字符串表损坏，无法读取。")

    def _read_to(self, index: int) -> None:
        if self._left is None:
            return
        batch = list(itertools.islice(self._left, max(index + 1 - self.count, STEP)))
        if not batch:
            self._left = None
            return
        taken = 0
        if not self._head_full:
            head, used, budget = self.head, self._head_bytes, self._head_budget
            for text in batch:
                cost = sys.getsizeof(text) + _LIST_SLOT
                if used + cost > budget:
                    self._head_full = True
                    break
                head.append(text)
                used += cost
                taken += 1
            self._head_bytes = used
        self.count += taken
        if taken < len(batch):
            self._spill(batch[taken:])

    def _spill(self, texts: list[str]) -> None:
        if self._data is None:
            self._data = tempfile.TemporaryFile(dir=self._spill_dir, buffering=0)
            self._ends = tempfile.TemporaryFile(dir=self._spill_dir, buffering=0)
        encoded = [text.encode() for text in texts]
        ends = array("Q", itertools.accumulate(map(len, encoded), initial=self._data_size))
        del ends[0]
        self._data.write(b"".join(encoded))
        self._ends.write(ends.tobytes())
        self._data_size = ends[-1]
        first = self.count
        self.count += len(texts)
        self.spilled += len(texts)
        for position, text in enumerate(texts, start=first):
            self._remember(position, text)

    def _remember(self, index: int, text: str) -> None:
        cache = self._cache
        cost = sys.getsizeof(text) + _CACHE_ENTRY
        if cost > self._cache_budget:
            return  # one string larger than the whole cache (a 32 K-character cell and a tiny budget)
        cache[index] = text
        self._cache_bytes += cost
        while self._cache_bytes > self._cache_budget:
            # Oldest first (a string read again from disk is inserted anew).
            _index, dropped = cache.popitem(last=False)
            self._cache_bytes -= sys.getsizeof(dropped) + _CACHE_ENTRY

    def _from_disk(self, index: int) -> str:
        self.disk_reads += 1
        spilled = index - len(self.head)
        if spilled == 0:
            start, (end,) = 0, array("Q", os.pread(self._ends.fileno(), 8, 0))
        else:
            start, end = array("Q", os.pread(self._ends.fileno(), 16, (spilled - 1) * 8))
        text = os.pread(self._data.fileno(), end - start, start).decode()
        self._remember(index, text)
        return text

    def close(self) -> None:
        for handle in (self._data, self._ends):
            if handle is not None:
                handle.close()
        self._data = self._ends = None
