import { useState } from 'react';
import { errorMessage } from '../../api/http';
import { useImportContactsMutation, type ImportResult } from './contacts.api';
import { formatPhone } from './phone';

const ACTION: Record<ImportResult['preview'][number]['action'], string> = { insert: 'new', update: 'update', unchanged: 'no change' };

/**
 * CSV import in two steps: the file is first sent as a dry run (the server validates and counts
 * exactly as the import would, writing nothing), the person reads the preview and the rows in error,
 * then imports the valid rows.
 */
export function CsvImport({ onClose }: { onClose(): void }) {
  const [file, setFile] = useState<File | null>(null);
  const [preview, setPreview] = useState<ImportResult | null>(null);
  const [done, setDone] = useState<ImportResult | null>(null);
  const [send, sending] = useImportContactsMutation();

  const choose = async (f: File | null) => {
    setFile(f);
    setPreview(null);
    setDone(null);
    if (!f) return;
    const r = await send({ file: f, dryRun: true });
    if ('data' in r && r.data) setPreview(r.data);
  };
  const commit = async () => {
    if (!file) return;
    const r = await send({ file, dryRun: false });
    if ('data' in r && r.data) setDone(r.data);
  };
  const p = preview;
  const valid = p ? p.rows - p.invalid : 0;
  return (
    <section className="csv-import" aria-labelledby="import-h">
      <h2 id="import-h">Import contacts from CSV</h2>
      <p className="muted">
        A header line names the columns: <code>name</code>, <code>phone</code> (required), <code>email</code>, <code>company</code>, <code>notes</code>, <code>tags</code> (separated by ; or |). Numbers
        already in your contacts are updated; empty cells change nothing.
      </p>
      <label className="file-pick">
        CSV file
        <input type="file" accept=".csv,text/csv,text/plain" onChange={(e) => void choose(e.target.files?.[0] ?? null)} data-testid="csv-file" />
      </label>
      {sending.isLoading && <p role="status">{p ? 'Importing…' : 'Checking the file…'}</p>}
      {sending.error && (
        <p role="alert" className="error">
          {errorMessage(sending.error)}
        </p>
      )}
      {done ? (
        <div role="status" className="import-done" data-testid="import-done">
          <p>
            <strong>Imported.</strong> {done.inserted} new, {done.updated} updated, {done.unchanged} unchanged{done.invalid ? `, ${done.invalid} rows skipped` : ''}.
          </p>
          <button type="button" className="primary" onClick={onClose}>
            Done
          </button>
        </div>
      ) : (
        p && (
          <div className="import-preview" data-testid="import-preview">
            <p className="import-counts" role="status">
              {p.rows} rows: <strong>{p.inserted} new</strong>, {p.updated} to update, {p.unchanged} unchanged, <span className={p.invalid ? 'danger-text' : ''}>{p.invalid} with errors</span>.
            </p>
            {p.preview.length > 0 && (
              <div className="table-scroll">
                <table className="table compact stack-table">
                  <caption>First rows as they will be stored</caption>
                  <thead>
                    <tr>
                      <th scope="col">Line</th>
                      <th scope="col">Name</th>
                      <th scope="col">Phone</th>
                      <th scope="col">Email</th>
                      <th scope="col">Tags</th>
                      <th scope="col">Result</th>
                    </tr>
                  </thead>
                  <tbody>
                    {p.preview.map((r) => (
                      <tr key={r.line}>
                        <td data-label="Line">{r.line}</td>
                        <td data-label="Name">{r.name ?? '—'}</td>
                        <td data-label="Phone" className="nowrap">
                          {formatPhone(r.phone)}
                        </td>
                        <td data-label="Email">{r.email ?? '—'}</td>
                        <td data-label="Tags">{r.tags.join(', ') || '—'}</td>
                        <td data-label="Result">{ACTION[r.action]}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
            {p.errors.length > 0 && (
              <div className="table-scroll">
                <table className="table compact stack-table import-errors" data-testid="import-errors">
                  <caption>Rows with errors (not imported)</caption>
                  <thead>
                    <tr>
                      <th scope="col">Line</th>
                      <th scope="col">Column</th>
                      <th scope="col">Problem</th>
                    </tr>
                  </thead>
                  <tbody>
                    {p.errors.map((e, i) => (
                      <tr key={i}>
                        <td data-label="Line">{e.line}</td>
                        <td data-label="Column">{e.field ?? '—'}</td>
                        <td data-label="Problem">{e.message}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
                {p.errorsTruncated && <p className="muted">Only the first {p.errors.length} errors are listed.</p>}
              </div>
            )}
            <div className="actions">
              <button type="button" className="primary" onClick={() => void commit()} disabled={!valid || sending.isLoading}>
                {p.invalid ? `Import ${valid} valid rows` : `Import ${valid} rows`}
              </button>
              <button type="button" onClick={onClose}>
                Cancel
              </button>
            </div>
          </div>
        )
      )}
      {!p && !done && (
        <div className="actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
        </div>
      )}
    </section>
  );
}
