#!/bin/sh
# A mixed basket on the sale screen: covered, excluded (alcohol), not in the list, over the price
# ceiling, partial rate on a weighed item typed as 0,350*code, a per-kg item asking for its
# weight, a GS1 weight code from a scale; eligibility as a symbol and a reason (the same screen
# without color); void a line; bad codes; a scan while the help screen has focus; cancel.
. tests/ui/lib.sh

ui_demo_data
ui_start
ui_sign_in
ui_wait_text "liste v7"
ui_scan 3560070894222
ui_wait_text "Lentilles vertes 500 g."
ui_type "2*3176582033303"
ui_keys Enter
ui_wait_text "2 x Vin rouge 75 cl."
ui_scan 3250390000457
ui_wait_text "Huile d'olive vierge extra 1 l."
ui_keys F1
ui_wait_text "Touches :"
ui_scan 3017620422003
ui_wait_text "Pâte à tartiner 400 g."
ui_type "0,350*2345678"
ui_keys Enter
ui_wait_text "0,350 kg de Comté au lait cru 12 mois."
ui_type "4011"
ui_keys Enter
ui_wait_text "Bananes est vendu au poids : tapez le poids en kg."
ui_wait_text "Poids (kg) :"
ui_type "1,2"
ui_keys Enter
ui_wait_text "1,200 kg de Bananes."
ui_scan 2112345003504
ui_wait_text "0,350 kg de Tomates en vrac."
ui_expect_screen sale_mixed_fr

# refusals leave the basket as it was
ui_scan 3560070894223
ui_wait_text "Code illisible « 3560070894223 » : mauvaise clé de contrôle."
ui_scan 3760000000017
ui_wait_text "Produit inconnu : 3760000000017."
ui_type "3*4011"
ui_keys Enter
ui_wait_text "Bananes est vendu au poids : tapez le poids, pas une quantité."
ui_wait_text "7 ligne(s)   Total 43,42 €   SSA 18,47 €   Reste 24,95 €"

# void the Comté (two lines up from the last one)
ui_keys Up Up F4
ui_wait_text "Ligne annulée : Comté au lait cru 12 mois."
ui_wait_text "6 ligne(s)   Total 34,70 €   SSA 14,11 €   Reste 20,59 €"
ui_no_text "0,350 kg       8,72 €"
ui_keys F5
ui_wait_text "Vente annulée : 6 ligne(s) retirée(s)."
ui_wait_text "0 ligne(s)   Total 0,00 €"
ui_keys F10
[ "$(ui_wait_exit)" = 0 ] || ui_fail "exit status"

# Without color, every state still reads: the same screen, symbol for symbol.
ui_stop
ui_start NO_COLOR=1
ui_sign_in
ui_wait_text "liste v7"
for c in 3560070894222 2*3176582033303 3250390000457 3017620422003 0,350*2345678; do
	ui_scan "$c"
done
ui_type 4011
ui_keys Enter
ui_wait_text "Poids (kg) :"
ui_scan 1,2
ui_scan 2112345003504
ui_wait_text "0,350 kg de Tomates en vrac."
ui_expect_screen sale_mixed_fr
