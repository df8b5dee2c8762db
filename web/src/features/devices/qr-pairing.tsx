import { useState, type FormEvent } from 'react';
import { QRCodeSVG } from 'qrcode.react';
import { errorMessage } from '../../api/http';
import { useGetQrQuery, useRequestPairingCodeMutation, type Device } from './devices.api';

/**
 * The live QR: fetched every 2 s while the device waits for a scan, so each code the engine rotates
 * to is redrawn; or, instead, a pairing code for a phone number.
 */
export function QrPairing({ device }: { device: Device }) {
  const waiting = device.status === 'qr' || device.status === 'starting';
  const { data, error, isLoading } = useGetQrQuery(device.id, { skip: !waiting, pollingInterval: waiting ? 2000 : 0, skipPollingIfUnfocused: false });
  const [byPhone, setByPhone] = useState(false);
  const [phone, setPhone] = useState('');
  const [requestCode, code] = useRequestPairingCodeMutation();

  if (!waiting) return null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void requestCode({ id: device.id, phone });
  };
  return (
    <section className="pairing" aria-label={`Pair ${device.name}`}>
      {!byPhone ? (
        <>
          <div className="qr-box" aria-live="polite">
            {data?.qr ? (
              <figure data-testid="pairing-qr" data-qr={data.qr}>
                <QRCodeSVG value={data.qr} size={232} marginSize={2} title="WhatsApp pairing QR code" />
                <figcaption className="sr-only">QR code to scan with WhatsApp</figcaption>
              </figure>
            ) : (
              <div className="qr-wait" role="status">
                {error ? errorMessage(error) : isLoading || device.status === 'starting' ? 'Preparing the QR code…' : 'Waiting for a QR code…'}
              </div>
            )}
          </div>
          <ol className="pair-steps">
            <li>Open WhatsApp on the phone.</li>
            <li>
              Tap <strong>Settings → Linked devices → Link a device</strong>.
            </li>
            <li>Point the phone at this code. It refreshes by itself.</li>
          </ol>
          <button type="button" className="link" onClick={() => setByPhone(true)}>
            Link with a phone number instead
          </button>
        </>
      ) : (
        <form className="pair-phone" onSubmit={submit}>
          <label>
            Phone number (international)
            <input type="tel" required placeholder="+49 170 1234567" value={phone} onChange={(e) => setPhone(e.target.value)} autoFocus />
          </label>
          <button type="submit" className="primary" disabled={code.isLoading}>
            {code.isLoading ? 'Requesting…' : 'Get pairing code'}
          </button>
          {code.error && (
            <p role="alert" className="error">
              {errorMessage(code.error)}
            </p>
          )}
          {code.data && (
            <p className="pair-code" role="status">
              Enter this code on the phone under <strong>Linked devices → Link with phone number</strong>:
              <span className="code" data-testid="pairing-code">
                {code.data.code}
              </span>
            </p>
          )}
          <button type="button" className="link" onClick={() => setByPhone(false)}>
            Show the QR code instead
          </button>
        </form>
      )}
    </section>
  );
}
