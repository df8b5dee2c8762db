import { useEffect, useRef } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { errorMessage } from '../../api/http';
import { Avatar } from '../../shared/avatar';
import { StarIcon } from '../../shared/icons';
import { useListContactsInfiniteQuery, useSetContactFavoriteMutation, type ContactFilters } from './contacts.api';
import { formatPhone } from './phone';

const ROW = 64;

/**
 * The contacts in name order, a page of 100 at a time as the person scrolls; only the rows on screen
 * (and a few either side) are in the DOM, so 100,000 contacts scroll like 100.
 */
export function ContactsList({ filters, selectedId, onOpen }: { filters: ContactFilters; selectedId: string | null; onOpen(id: string): void }) {
  const { currentData, data, error, isFetching, isLoading, hasNextPage, fetchNextPage, isFetchingNextPage } = useListContactsInfiniteQuery(filters);
  // currentData: the rows of these filters only (never the last filter's while the new ones load).
  const rows = (currentData ?? (isFetching ? undefined : data))?.pages.flatMap((p) => p.items) ?? [];
  const [favorite] = useSetContactFavoriteMutation();
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({ count: rows.length + (hasNextPage ? 1 : 0), getScrollElement: () => scroller.current, estimateSize: () => ROW, overscan: 6 });
  const items = virtualizer.getVirtualItems();
  const last = items[items.length - 1]?.index ?? 0;

  useEffect(() => {
    if (hasNextPage && !isFetchingNextPage && last >= rows.length - 20) void fetchNextPage();
  }, [last, rows.length, hasNextPage, isFetchingNextPage, fetchNextPage]);

  // A new filter starts at the top.
  const key = JSON.stringify(filters);
  useEffect(() => {
    scroller.current?.scrollTo({ top: 0 });
  }, [key]);

  return (
    <div className="contacts-scroll" ref={scroller} data-testid="contacts-list" aria-busy={isFetching}>
      {error && <p className="error pad">{errorMessage(error)}</p>}
      {!isLoading && !isFetching && !error && rows.length === 0 && (
        <p className="muted pad" data-testid="contacts-empty">
          {filters.q || filters.tag || filters.favorite ? 'No contacts match.' : 'No contacts yet.'}
        </p>
      )}
      <ul className="contact-rows" style={{ height: virtualizer.getTotalSize() }} aria-label="Contacts">
        {items.map((v) => {
          const c = rows[v.index];
          if (!c)
            return (
              <li key="more" className="contact-row loading-row" style={{ transform: `translateY(${v.start}px)`, height: ROW }} role="status">
                Loading more…
              </li>
            );
          return (
            <li key={c.id} className={`contact-row${c.id === selectedId ? ' selected' : ''}`} style={{ transform: `translateY(${v.start}px)`, height: ROW }} data-testid="contact-row">
              <button type="button" className="contact-open" onClick={() => onOpen(c.id)} aria-current={c.id === selectedId ? 'true' : undefined}>
                <Avatar name={c.name} size={42} />
                <span className="contact-main">
                  <span className="contact-name">{c.name}</span>
                  <span className="contact-sub">
                    {formatPhone(c.phone)}
                    {c.company ? ` · ${c.company}` : ''}
                  </span>
                </span>
                <span className="contact-tags" aria-label={c.tags.length ? `Tags: ${c.tags.map((t) => t.name).join(', ')}` : undefined}>
                  {c.tags.slice(0, 2).map((t) => (
                    <span key={t.id} className="tag mini" style={{ background: `${t.color}22`, color: t.color, borderColor: t.color }}>
                      {t.name}
                    </span>
                  ))}
                  {c.tags.length > 2 && <span className="pill">+{c.tags.length - 2}</span>}
                </span>
              </button>
              <button
                type="button"
                className={`icon-btn star${c.favorite ? ' on' : ''}`}
                aria-pressed={c.favorite}
                aria-label={`${c.favorite ? 'Unpin' : 'Pin'} ${c.name}`}
                title={c.favorite ? 'Pinned to favorites' : 'Pin to favorites'}
                onClick={() => void favorite({ id: c.id, on: !c.favorite })}
              >
                <StarIcon filled={c.favorite} />
              </button>
            </li>
          );
        })}
      </ul>
    </div>
  );
}
